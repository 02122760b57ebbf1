"""kill -9 of the queue's runner and of its trainers at random moments: no queued run is lost,
none is started twice, and each run killed while training is an ordinary interrupted run."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from test_queue_runner import idle, log_lines, trainer_log, wait_until

from cifar_tui.core.presets import preset
from cifar_tui.core.queue import store
from cifar_tui.core.queue.paths import runner_lock_path
from cifar_tui.core.queue.runner import GPUS_ENV, ensure_runner
from cifar_tui.core.queue.starter import RETRIES
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.lock import read_lock
from cifar_tui.core.rundir.summary import summarize_run

__all__ = ["trainer_log"]  # the fixture, used here by name

RUNS = 6
CHAOS_SECONDS = 6.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def _kill(pid: int) -> bool:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
        return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_anything_at_any_moment(
    tmp_path: Path, trainer_log: Path, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    monkeypatch.setenv(GPUS_ENV, "2")  # two at a time: kills land on starts running side by side
    monkeypatch.setenv("FAKE_TRAINER_LOAD", "0.3")
    monkeypatch.setenv("FAKE_TRAINER_EPOCHS", "3")
    chance = random.Random(seed)
    models = tmp_path / "models"
    names = [f"run{index}" for index in range(RUNS)]
    store.enqueue(models, [(name, preset("fast")) for name in names], None)
    ensure_runner(models)
    killed: set[int] = set()  # trainer pids this test killed
    kills_of: Counter[str] = Counter()
    runner_kills = 0
    deadline = time.monotonic() + CHAOS_SECONDS
    while time.monotonic() < deadline:
        time.sleep(chance.uniform(0.02, 0.4))
        runner = read_lock(runner_lock_path(models))
        # A run whose trainer is killed more than RETRIES times before its run begins is
        # marked failed (the OOM killer at every start): kill each run's trainer at most that often.
        launched = [(name, int(pid)) for name, pid in log_lines(trainer_log, "launch")]
        trainers = [
            pid
            for name, pid in launched
            if pid not in killed and _alive(pid) and kills_of[name] < RETRIES
        ]
        if chance.random() < 0.5 and runner is not None:
            runner_kills += _kill(int(runner["pid"]))
        elif trainers:
            victim = chance.choice(trainers)
            if _kill(victim):
                killed.add(victim)
                kills_of[dict((pid, name) for name, pid in launched)[victim]] += 1
        time.sleep(chance.uniform(0.0, 0.2))
        ensure_runner(models)  # what the next `cifar-tui queue add` does
    ensure_runner(models)
    wait_until(lambda: idle(models), 90, "the queue to empty after the kills")
    # Nobody kills now: one more look, as a queue add would.
    if ensure_runner(models):
        wait_until(lambda: idle(models), 30, "the last runner")

    left = [(run.name, run.failed) for run in store.queued(models)]
    assert left == [], (models / ".queue" / "runner.log").read_text()  # none lost, none failed
    launches: dict[str, list[int]] = {name: [] for name in names}
    for name, pid in log_lines(trainer_log, "launch"):
        launches[name].append(int(pid))
    starts = [fields[0] for fields in log_lines(trainer_log, "start")]
    for name in names:
        run = RunFolder(models / name)
        assert run.config_path.exists(), f"{name} never started"
        # A second trainer only after the previous one was killed before its run began.
        assert launches[name], f"{name} was never launched"
        assert all(pid in killed for pid in launches[name][:-1]), (name, launches[name], killed)
        assert starts.count(name) <= 1, f"{name} started {starts.count(name)} times"
        status = summarize_run(run).status
        if launches[name][-1] in killed:
            # As any run killed at that moment: interrupted (resumable), finished (killed after
            # its last event) or created (killed after config.toml, before its first event).
            assert status in ("interrupted", "finished", "created"), (name, status)
        else:
            assert status == "finished", (name, status)
    pids = [pid for run_pids in launches.values() for pid in run_pids]
    wait_until(lambda: not any(map(_alive, pids)), 10, "every trainer to exit")
    kills = f"{len(killed)} trainers and {runner_kills} runners killed"
    print(f"seed {seed}: {len(pids)} launches, {kills}")
