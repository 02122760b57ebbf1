"""Faults a long run must survive: a full disk, a second trainer, a dead trainer's lock, SIGHUP.

The unit tests at the top need no TensorFlow. The `slow` ones run the real `cifar-tui train` on
the 600-image archive of tests/conftest.py, as a user would (a subprocess, offline, no TTY).
"""

from __future__ import annotations

import errno
import os
import pty
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from written_events import raw_events

from cifar_tui.core.rundir import atomic, checkpoints
from cifar_tui.core.rundir.lock import holder_alive, read_lock
from cifar_tui.core.training.saving import DiskFullError, disk_full, saving

# Small and quick, as in test_train_cli.py: 500 images, batch 50, 10 steps per epoch.
TINY = ["--preset", "quick", "--train-size", "0", "--batch-size", "50",
        "--batch-norm-momentum", "0.5", "--mixed-precision", "off"]  # fmt: skip
# A trainer that keeps going for minutes (50 steps per epoch) until the test ends it.
LONG = [*TINY, "--batch-size", "10", "--epochs", "200"]
ENV = {**os.environ, "CIFAR_TUI_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}


def cli(*args: str | Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run `python -m cifar_tui ARGS` as a user would, without a TTY and offline."""
    return subprocess.run(
        [sys.executable, "-m", "cifar_tui", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=ENV, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def wait_for(predicate: Callable[[], object], timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# --- no TensorFlow: leftovers of killed writers, disk-full bookkeeping ----------------------------


def _fake_model(values: float) -> SimpleNamespace:
    variable = SimpleNamespace(numpy=lambda: np.full((4, 4), values, np.float32))
    return SimpleNamespace(variables=[variable], optimizer=SimpleNamespace(variables=[variable]))


def test_remove_temp_files_takes_only_the_files_temp_siblings(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_bytes(b"model")
    litter = [tmp_path / ".model.keras.0a1b2c3d.tmp.keras", tmp_path / ".model.keras.ffffffff.tmp"]
    keep = [tmp_path / ".predictions.npz.0a1b2c3d.tmp", tmp_path / "model.keras.tmp",
            tmp_path / ".model.keras.notahex0.tmp"]  # fmt: skip
    for path in litter + keep:
        path.write_bytes(b"half")
    assert sorted(atomic.remove_temp_files(target)) == sorted(litter)
    assert target.read_bytes() == b"model" and all(path.exists() for path in keep)
    assert atomic.remove_temp_files(tmp_path / "missing" / "model.keras") == []


def test_remove_leftovers_keeps_only_the_committed_checkpoint(tmp_path: Path) -> None:
    first = checkpoints.save_checkpoint(tmp_path, _fake_model(1.0), 1, 0, [0.0], [1.0])
    latest = checkpoints.read_latest(tmp_path)
    # What kills leave: a half-written checkpoint and index, and a complete but uncommitted file.
    litter = [
        tmp_path / ".epoch-0002-step-000000.npz.0123abcd.tmp",
        tmp_path / ".latest.json.89abcdef.tmp",
        tmp_path / "epoch-0002-step-000000.npz",
    ]
    for path in litter:
        path.write_bytes(b"x")
    assert sorted(checkpoints.remove_leftovers(tmp_path, latest)) == sorted(litter)
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name, "latest.json"]
    # Without latest.json nothing says which checkpoint is good: keep them all.
    (tmp_path / "latest.json").unlink()
    assert checkpoints.remove_leftovers(tmp_path, None) == []
    assert checkpoints.remove_leftovers(tmp_path / "none", None) == []


def test_a_full_disk_while_writing_latest_keeps_the_previous_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = checkpoints.save_checkpoint(tmp_path, _fake_model(1.0), 1, 0, [0.0], [1.0])
    real = atomic.atomic_write_bytes

    def full_for_the_index(path: Path, data: bytes) -> None:
        if Path(path).name == "latest.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)

    monkeypatch.setattr(atomic, "atomic_write_bytes", full_for_the_index)
    with pytest.raises(OSError, match="No space left"):
        checkpoints.save_checkpoint(tmp_path, _fake_model(2.0), 2, 0, [0.0], [1.0])
    # The uncommitted epoch-2 file is gone (its space given back); epoch 1 is still the latest.
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name, "latest.json"]
    latest = checkpoints.read_latest(tmp_path)
    assert latest is not None and (latest.epoch, latest.file) == (1, first.name)
    with np.load(tmp_path / latest.file) as archive:
        assert float(archive["model_0000"][0, 0]) == 1.0


def test_disk_full_is_found_through_wrapping_errors(tmp_path: Path) -> None:
    full = OSError(errno.ENOSPC, "No space left on device")
    try:
        try:
            raise full
        except OSError as error:
            raise ValueError("saving failed") from error  # as a library might wrap it
    except ValueError as wrapped:
        assert disk_full(wrapped)
    assert disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    assert not disk_full(OSError(errno.EACCES, "Permission denied"))
    assert not disk_full(ValueError("nan"))
    run = SimpleNamespace(name="r1", checkpoint_dir=tmp_path / "checkpoint")
    with pytest.raises(DiskFullError, match=r"disk full while saving model.keras: free space .*"
                       r"--resume r1`; no checkpoint was saved yet"):  # fmt: skip
        with saving("model.keras", run):  # type: ignore[arg-type]
            raise full
    with pytest.raises(PermissionError), saving("model.keras", run):  # type: ignore[arg-type]
        raise PermissionError(errno.EACCES, "Permission denied")


# --- a full disk during a real run ----------------------------------------------------------------

# Runs `cifar-tui ARGS` with the disk "filling up" during the Nth write of one kind of file: the
# write stores half its bytes, then fails with ENOSPC, as a real full disk does. Atomic writes
# open their temp file with os.fdopen; Keras opens model.keras's temp file with open().
DISK_FULL_DRIVER = r"""
import builtins, errno, os, re, sys
kind, nth, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
pattern = re.compile({
    "checkpoint": r"\.epoch-\d+-step-\d+\.npz\.[0-9a-f]{8}\.tmp$",
    "model": r"\.model\.keras\.[0-9a-f]{8}\.tmp\.keras$",
    "predictions": r"\.predictions\.npz\.[0-9a-f]{8}\.tmp$",
}[kind])
seen = [0]

class Full:
    def __init__(self, file): self._file = file
    def write(self, data):
        self._file.write(data[: len(data) // 2]); self._file.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    def __getattr__(self, name): return getattr(self._file, name)
    def __enter__(self): return self
    def __exit__(self, *exc): return self._file.__exit__(*exc)

def hit(path):
    if pattern.search(os.path.basename(str(path))):
        seen[0] += 1
        return seen[0] == nth
    return False

real_fdopen, real_open = os.fdopen, builtins.open
def fdopen(fd, *args, **kwargs):
    file = real_fdopen(fd, *args, **kwargs)
    return Full(file) if hit(os.readlink(f"/proc/self/fd/{fd}")) else file
def open_(name, *args, **kwargs):
    file = real_open(name, *args, **kwargs)
    return Full(file) if isinstance(name, (str, os.PathLike)) and hit(os.fspath(name)) else file
os.fdopen, builtins.open = fdopen, open_
from cifar_tui.cli import main
sys.exit(main(argv))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "what"),
    [("checkpoint", "the checkpoint of epoch 2 step 0"), ("model", "model.keras"),
     ("predictions", "predictions.npz")],
)  # fmt: skip
def test_a_full_disk_while_saving_fails_the_run_and_keeps_the_checkpoint(
    cifar_archive: Path, tmp_path: Path, kind: str, what: str
) -> None:
    run = tmp_path / "full"
    args = ["train", *TINY, "--epochs", "2", "--data-dir", cifar_archive, "--models-dir",
            tmp_path, "--name", "full"]  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", DISK_FULL_DRIVER, kind, "2", *map(str, args)],
        capture_output=True, text=True, timeout=240, env=ENV, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    line = one_line(result.stderr)
    assert line.startswith(f"cifar-tui: training failed: disk full while saving {what}: ")
    assert "free space and run `cifar-tui train --resume full`" in line
    events = raw_events(run / "events.jsonl")
    failed = events[-1]
    assert failed["type"] == "failed" and failed["error"] == "DiskFullError"
    assert failed["message"] in line and failed["log_tail"]
    assert "No space left on device" in (run / "trainer.log").read_text()
    # The previous checkpoint is the latest and loads; no temp file or half file is left.
    latest = checkpoints.read_latest(run / "checkpoint")
    assert latest is not None
    expected_epoch = 1 if kind == "checkpoint" else 2  # model/predictions come after the npz
    assert (latest.epoch, latest.step) == (expected_epoch, 0)
    assert f"continues from the checkpoint of epoch {expected_epoch} step 0, which is" in line
    with np.load(run / "checkpoint" / latest.file) as archive:
        assert len(archive.files) > 10 and all(archive[k].size for k in archive.files)
    leftovers = [p.name for p in run.rglob("*") if ".tmp" in p.name]
    assert leftovers == [] and sorted(p.name for p in (run / "checkpoint").iterdir()) == [
        latest.file, "latest.json"]  # fmt: skip
    assert not (run / "trainer.lock").exists()
    if kind == "predictions":
        return
    # Space is back: the run goes on from that checkpoint. After the model case every epoch is
    # trained; the resume only saves model.keras again, evaluates and finishes.
    resumed = cli("train", "--resume", "full", "--models-dir", tmp_path, "--data-dir",
                  cifar_archive)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    events = raw_events(run / "events.jsonl")
    assert events[-1]["type"] == "finished"
    restarted = [e for e in events if e["type"] == "run_started"][-1]
    assert restarted["resumed"] and restarted["initial_epoch"] == expected_epoch
    ended = [e for e in events if e["type"] == "epoch_ended"]
    assert [e["epoch"] for e in ended] == ([1, 2, 2] if kind == "checkpoint" else [1, 2])
    # model.keras holds the epoch-2 weights: it scores what epoch 2 scored.
    assert events[-1]["test_accuracy"] == ended[-1]["test_accuracy"]
    with np.load(run / "predictions.npz") as predictions:
        assert int(predictions["epoch"]) == 2


# --- one trainer per run; a dead trainer's lock -------------------------------------------------


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    """Processes to kill at the end of a test, whatever happened."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(30)


def _started_by(events_path: Path, pid: int) -> Callable[[], bool]:
    def check() -> bool:
        events = raw_events(events_path)
        return any(e["type"] == "run_started" and e["pid"] == pid for e in events) and any(
            e["type"] == "batch" for e in events[-3:]
        )

    return check


@pytest.mark.slow
def test_a_second_trainer_is_refused_and_a_dead_trainers_lock_is_taken_over(
    cifar_archive: Path, tmp_path: Path, processes: list[subprocess.Popen]
) -> None:
    common = ["--models-dir", tmp_path, "--data-dir", cifar_archive]
    first = subprocess.Popen(
        [sys.executable, "-m", "cifar_tui", "train", *LONG, "--name", "busy", *map(str, common)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV,
    )  # fmt: skip
    processes.append(first)
    run = tmp_path / "busy"
    wait_for(_started_by(run / "events.jsonl", first.pid), what="the first trainer's batches")
    config_before = (run / "config.toml").read_bytes()

    # A second trainer on the same run is refused at once, naming the holder.
    for extra in ([], ["--epochs", "300"]):
        second = cli("train", "--resume", "busy", *extra, *common)
        assert second.returncode == 2, second.stdout + second.stderr
        line = one_line(second.stderr)
        holder = f"pid {first.pid} on host {socket.gethostname()}"
        assert f"run busy is already being trained by {holder}" in line
        assert "cifar-tui stop busy" in line
    # ... and changes nothing: not even the epochs of the config the first trainer uses.
    assert (run / "config.toml").read_bytes() == config_before
    assert first.poll() is None and read_lock(run / "trainer.lock")["pid"] == first.pid
    # A new run by the same name is refused too.
    clash = cli("train", *TINY, "--name", "busy", *common)
    assert clash.returncode == 2 and "run folder" in one_line(clash.stderr)

    # kill -9 leaves the lock of a dead process behind ...
    first.kill()
    first.wait(30)
    stale = read_lock(run / "trainer.lock")
    assert stale is not None and stale["pid"] == first.pid and not holder_alive(stale)
    # ... which a resume takes over, and trains.
    resumed = subprocess.Popen(
        [sys.executable, "-m", "cifar_tui", "train", "--resume", "busy", *map(str, common)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    processes.append(resumed)
    wait_for(_started_by(run / "events.jsonl", resumed.pid), what="the resumed trainer's batches")
    assert read_lock(run / "trainer.lock")["pid"] == resumed.pid
    resumed.send_signal(signal.SIGINT)
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert raw_events(run / "events.jsonl")[-1]["type"] == "stopped"
    assert not (run / "trainer.lock").exists()


# --- SIGHUP: the app's terminal goes away --------------------------------------------------------

# The app's side, reduced to what matters: launch a trainer the way the app does, then wait.
APP_DRIVER = r"""
import sys, time
from pathlib import Path
from cifar_tui.core.host import launcher
from cifar_tui.core.presets import preset
models, data, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
config = preset("quick").replace(train_size=0, batch_size=10, batch_norm_momentum=0.5,
                                 mixed_precision="off", epochs=200).validate()
launched = launcher.spawn_training(config, models, data, name)
print(launched.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_a_trainer_started_like_the_app_does_survives_the_terminal_hanging_up(
    cifar_archive: Path, tmp_path: Path
) -> None:
    # pty.fork: the "app" runs in a new session whose controlling terminal is the pty, as over
    # SSH; closing the master side is the connection dropping, and the kernel sends SIGHUP.
    pid, master = pty.fork()
    if pid == 0:  # the child: become the app at once
        # As a user's shell would: a SIGHUP ignored by whoever ran pytest (nohup) must not be
        # inherited, or the "app" would survive the hang-up and the test would wait forever.
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        os.execve(sys.executable, [sys.executable, "-c", APP_DRIVER, str(tmp_path),
                                   str(cifar_archive), "hup"], ENV)  # fmt: skip
    events_path = tmp_path / "hup" / "events.jsonl"
    trainer_pid = None
    try:
        wait_for(lambda: any(e["type"] == "batch" for e in raw_events(events_path)),
                 what="the trainer's first batches")  # fmt: skip
        trainer_pid = next(e["pid"] for e in raw_events(events_path) if e["type"] == "run_started")
        assert os.getsid(trainer_pid) == trainer_pid != os.getsid(pid)  # its own session
        os.close(master)  # hang up
        master = -1
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGHUP
        pid = 0
        # The trainer did not get it: it goes on appending batch events, and does not stop.
        count = len(raw_events(events_path))
        wait_for(lambda: len(raw_events(events_path)) >= count + 3, what="more events")
        os.kill(trainer_pid, 0)
        assert [e["type"] for e in raw_events(events_path)].count("stopped") == 0
        assert read_lock(tmp_path / "hup" / "trainer.lock")["pid"] == trainer_pid
    finally:
        if master >= 0:
            os.close(master)
        for leftover in (pid, trainer_pid):
            if leftover:
                try:
                    os.kill(leftover, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if pid:
            os.waitpid(pid, 0)
