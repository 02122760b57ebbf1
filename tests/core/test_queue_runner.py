"""The queue's runner end to end: real runner processes starting a fake trainer
(tests/queue_fake_trainer.py, which does to the run folder what `cifar-tui train` does)."""

from __future__ import annotations

import os
import re
import shlex
import sys
import time
from pathlib import Path

import pytest
from written_events import raw_events

from cifar_tui.cli import main
from cifar_tui.core.host import launcher
from cifar_tui.core.presets import preset
from cifar_tui.core.queue import claims, runner, store
from cifar_tui.core.queue.paths import runner_lock_path
from cifar_tui.core.queue.runner import GPUS_ENV, POLL_ENV, TRAINER_ENV, ensure_runner
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.listing import run_folders
from cifar_tui.core.rundir.lock import RunLock, lock_holder_alive, read_lock

FAKE_TRAINER = Path(__file__).parents[1] / "queue_fake_trainer.py"
FAST = preset("fast")


@pytest.fixture
def trainer_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Runners started from here run the fake trainer, which logs its launches and starts here."""
    log = tmp_path / "trainers.log"
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE_TRAINER))}"
    monkeypatch.setenv(TRAINER_ENV, command)
    monkeypatch.setenv("FAKE_TRAINER_LOG", str(log))
    monkeypatch.setenv(POLL_ENV, "0.1")
    monkeypatch.setenv(GPUS_ENV, "0")
    return log


def log_lines(log: Path, kind: str) -> list[list[str]]:
    """The fields of the fake trainers' `kind` lines ("launch" or "start"), in order."""
    if not log.exists():
        return []
    return [line.split()[1:] for line in log.read_text().splitlines() if line.split()[0] == kind]


def idle(models_dir: Path) -> bool:
    """Nothing left to start, no runner, and no trainer starting or running."""
    waiting = [run for run in store.queued(models_dir) if run.failed is None]
    held = [name for name in claims.claim_names(models_dir) if claims.claim_held(models_dir, name)]
    training = [run for run in run_folders(models_dir) if lock_holder_alive(run.lock_path)]
    return not (waiting or held or training or lock_holder_alive(runner_lock_path(models_dir)))


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def test_queued_runs_start_once_each_one_at_a_time_on_a_cpu(
    tmp_path: Path, trainer_log: Path
) -> None:
    models = tmp_path / "models"
    store.enqueue(models, [(name, FAST) for name in ("a", "b", "c")], None)
    assert ensure_runner(models)
    wait_until(lambda: lock_holder_alive(runner_lock_path(models)), 20, "the runner's lock")
    assert not ensure_runner(models)  # one runner per models folder
    wait_until(lambda: idle(models), 60, "the queue to run")
    assert [fields[0] for fields in log_lines(trainer_log, "launch")] == ["a", "b", "c"]
    assert [fields[0] for fields in log_lines(trainer_log, "start")] == ["a", "b", "c"]
    spans = []
    for name in ("a", "b", "c"):
        events = raw_events(RunFolder(models / name).events_path)
        assert events[-1]["type"] == "finished"
        spans.append((events[0]["time"], events[-1]["time"]))
    assert spans[1][0] >= spans[0][1] and spans[2][0] >= spans[1][1]  # never two at once
    assert not list((models / ".queue").glob("*.claim"))


@pytest.mark.slow
def test_gpus_are_shared_out_and_a_run_started_by_hand_holds_its_gpu(
    tmp_path: Path, trainer_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(GPUS_ENV, "2")
    monkeypatch.setenv("FAKE_TRAINER_EPOCH_SECONDS", "0.5")
    models = tmp_path / "models"
    by_hand = RunFolder(models / "by-hand")
    by_hand.path.mkdir(parents=True)
    by_hand.config_path.write_text('preset = "fast"\ndevices = "0"\n')
    lock = RunLock(by_hand.lock_path)
    lock.acquire()  # this test process "trains" on GPU 0
    try:
        store.enqueue(models, [("a", FAST), ("b", FAST), ("c", FAST.replace(devices="0"))], None)
        ensure_runner(models)
        wait_until(lambda: len(log_lines(trainer_log, "start")) == 1, 20, "a to start")
        time.sleep(1.0)  # b and c wait: GPU 1 has a, GPU 0 the run started by hand
        assert log_lines(trainer_log, "launch") == [["a", log_lines(trainer_log, "start")[0][1]]]
        assert log_lines(trainer_log, "start")[0][2] == "1"  # auto took the free GPU
        assert [run.name for run in store.queued(models)] == ["b", "c"]
    finally:
        lock.release()
    wait_until(lambda: idle(models), 60, "the queue to run")
    starts = {fields[0]: fields[2] for fields in log_lines(trainer_log, "start")}
    # b (auto) takes GPU 0 once the hand-started run lets go, or GPU 1 if a has finished by the
    # time the runner looks again (a loaded machine); c is pinned to GPU 0 either way.
    assert starts["a"] == "1" and starts["c"] == "0" and starts["b"] in {"0", "1"}
    assert len(log_lines(trainer_log, "start")) == 3  # each started once


def test_a_trainer_that_fails_stays_queued_marked_failed(
    tmp_path: Path, trainer_log: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("FAKE_TRAINER_FAIL", "1")
    models = tmp_path / "models"
    store.enqueue(models, [("a", FAST)], None)
    ensure_runner(models)
    wait_until(lambda: idle(models), 30, "the runner to give up")
    [run] = store.queued(models)
    assert run.failed == "trainer exited with code 2: cifar-tui: error: no CIFAR-10 here (fake)"
    assert main(["queue", "--models-dir", str(models)]) == 0
    assert "failed: trainer exited with code 2" in capsys.readouterr().out
    assert len(log_lines(trainer_log, "launch")) == 1  # not tried again and again
    assert main(["queue", "retry", "--models-dir", str(models), "b"]) == 2
    assert "run 'b' is not queued" in capsys.readouterr().err
    monkeypatch.delenv("FAKE_TRAINER_FAIL")  # the data is found now: try again
    assert main(["queue", "retry", "--models-dir", str(models), "a"]) == 0
    wait_until(lambda: idle(models), 30, "the retried run")
    assert [fields[0] for fields in log_lines(trainer_log, "start")] == ["a"]
    assert main(["queue", "retry", "--models-dir", str(models), "a"]) == 2


def test_the_queue_verbs(tmp_path: Path, trainer_log: Path, capsys) -> None:
    models = tmp_path / "models"
    busy = RunFolder(models / "by-hand")
    busy.path.mkdir(parents=True)
    busy.config_path.write_text('preset = "fast"\n')  # a run (a bare locked folder is none)
    with RunLock(busy.lock_path):  # the CPU is taken: queued runs wait
        base = ["--models-dir", str(models)]
        for name in ("one", "two", "three"):
            args = ["queue", "add", *base, "--preset", "fast", "--epochs", "2", "--name", name]
            assert main(args) == 0
        out = capsys.readouterr().out
        assert "queued three (number 3)" in out and "started the queue's runner" in out
        assert main(["queue", "move", *base, "three", "top"]) == 0
        assert main(["queue", "rm", *base, "two"]) == 0
        assert main(["queue", *base]) == 0
        out = capsys.readouterr().out
        assert "three is now number 1 in the queue" in out and "removed two" in out
        table = out.splitlines()
        header = next(index for index, line in enumerate(table) if line.startswith("#"))
        assert [line.split()[:4] for line in table[header + 1 : header + 3]] == [
            ["1", "three", "auto", "fast"],
            ["2", "one", "auto", "fast"],
        ]
        assert main(["queue", "rm", *base, "two"]) == 2
        assert "run 'two' is not queued" in capsys.readouterr().err
        assert main(["queue", "add", *base, "--name", "one"]) == 2
        assert "already queued" in capsys.readouterr().err
        assert log_lines(trainer_log, "launch") == []
    wait_until(lambda: idle(models), 60, "the queue to run")
    assert [fields[0] for fields in log_lines(trainer_log, "start")] == ["three", "one"]
    config_text = RunFolder(models / "one").config_path.read_text()
    assert re.findall(r"^epochs = .*$", config_text, re.MULTILINE) == ["epochs = 2"]


def test_the_runner_has_its_own_session(tmp_path: Path, trainer_log: Path) -> None:
    """Its own session: a terminal or SSH going away (SIGHUP to the session) never reaches it."""
    models = tmp_path / "models"
    store.enqueue(models, [("a", FAST)], None)
    ensure_runner(models)
    wait_until(lambda: read_lock(runner_lock_path(models)) is not None, 20, "the runner's lock")
    pid = int(read_lock(runner_lock_path(models))["pid"])  # type: ignore[index]
    assert os.getsid(pid) == pid != os.getsid(0)
    wait_until(lambda: idle(models), 30, "the queue to run")


def test_a_run_queued_while_the_runner_lets_go_still_starts(
    tmp_path: Path, trainer_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`queue add` saw the lock still held (so started no runner) just as the runner, finding
    the queue empty, let the lock go: the runner looks again after letting go."""
    models = tmp_path / "models"
    store.enqueue(models, [("a", FAST)], None)
    release = RunLock.release
    late: list[str] = []

    def release_after_a_late_add(lock: RunLock) -> None:
        if lock.path == runner_lock_path(models) and not late:
            late.extend(store.enqueue(models, [("late", FAST)], None))
            assert not ensure_runner(models)  # the lock is still held: no second runner
        release(lock)

    monkeypatch.setattr(RunLock, "release", release_after_a_late_add)
    monkeypatch.setattr(launcher, "trainer_command", launcher.trainer_command)  # main() sets it
    assert runner.main([str(models)]) == 0  # in this process, until the queue is empty
    assert [fields[0] for fields in log_lines(trainer_log, "start")] == ["a", "late"]
