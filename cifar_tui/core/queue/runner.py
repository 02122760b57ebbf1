"""The queue's runner: one process per models folder that starts queued runs as slots free.

Started by `ensure_runner` (from `cifar-tui queue add` and the app) in its own session, it holds
`.queue/runner.lock` and exits once nothing is left to start. It never imports TensorFlow: each
run is an ordinary `cifar-tui train` started through core/host/launcher.py, as the app starts one.

A queued run goes: queued (its `.queue/NNNNNN-name.toml`) -> claimed (`.queue/name.claim`
flock'ed, then the trainer started, inheriting the flock) -> started (the trainer has created
the run folder and, holding its lock, written config.toml) -> the queue file is deleted, then
the claim file. A kill -9 of the runner or the trainer at any point resumes from the files:
see `_Runner._settle`.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from cifar_tui.core.host import launcher
from cifar_tui.core.host.priority import at_normal_priority
from cifar_tui.core.queue import claims, store
from cifar_tui.core.queue.paths import queue_dir, runner_lock_path, runner_log_path
from cifar_tui.core.queue.slots import Waiting, devices_used, plan_starts
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.listing import run_folders
from cifar_tui.core.rundir.lock import (
    RunLock,
    RunLockedError,
    holder_alive,
    lock_holder_alive,
    read_lock,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib

__all__ = ["TRAINER_ENV", "ensure_runner", "runner_lock_path", "run_queue"]

TRAINER_ENV = "CIFAR_TUI_QUEUE_TRAINER"
"""Tests only: a command (shell words) that stands in for `python -m cifar_tui` in trainers."""
POLL_SECONDS = 1.0


def ensure_runner(models_dir: Path) -> bool:
    """Start the queue's runner for `models_dir` unless a live one holds the queue.

    Args:
        models_dir: the models folder.

    Returns:
        True if a runner process was started.
    """
    models_dir = Path(models_dir).absolute()
    if lock_holder_alive(runner_lock_path(models_dir)):
        return False
    queue_dir(models_dir).mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "cifar_tui.core.queue.runner", str(models_dir)]
    with open(runner_log_path(models_dir), "ab") as log:
        # Its own session: no SIGHUP when the terminal or SSH goes, no Ctrl+C from it.
        process = at_normal_priority(
            lambda: subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        )
    # Reap it when it exits (the app lives on after starting it): no zombie holds the lock.
    threading.Thread(target=process.wait, name=f"reap-{process.pid}", daemon=True).start()
    return True


@dataclass
class _Started:
    """A trainer this runner started, watched until it holds its run or exits."""

    launched: launcher.LaunchedRun
    claim: claims.Claim
    devices: tuple[int | str, ...]


class _Runner:
    def __init__(self, models_dir: Path, gpus: int) -> None:
        self.models_dir = models_dir
        self.gpus = gpus
        self.mine: dict[str, _Started] = {}

    def step(self) -> bool:
        """Settle every queued run, start what fits; False when nothing is left to do."""
        pending, starting = [], []
        for run in store.queued(self.models_dir):
            if run.failed is None:
                state = self._settle(run)
                if state == "waiting":
                    pending.append(run)
                elif state == "starting":
                    starting.append(run.name)
        self._tidy_claims()
        if not pending and not self.mine and not starting:
            return False
        self._start(pending)
        return True

    def _settle(self, run: store.QueuedRun) -> str:
        """The state of a queued run: "waiting", "starting" or "done" (dropped from the queue)."""
        folder = RunFolder(self.models_dir / run.name)
        started = folder.config_path.exists() or folder.events_path.exists()
        mine = self.mine.get(run.name)
        if mine is not None:
            code = mine.launched.process.poll() if mine.launched.process else 0
            if started and (code is not None or lock_holder_alive(folder.lock_path)):
                self._done(run.name, mine)
            elif code is not None:
                self._fail(run, mine, code)
            return "starting" if run.name in self.mine else "done"
        if started and claims.claim_path(self.models_dir, run.name).exists():
            self._done(run.name, None)  # started by a runner that was killed meanwhile
            return "done"
        if claims.claim_held(self.models_dir, run.name):
            return "starting"  # a trainer started by a killed runner, still loading: let it be
        if folder.path.exists() and not _leftover_of_a_dead_start(folder):
            why = f"a run named {run.name} already exists; remove this entry or that run"
            store.mark_failed(self.models_dir, run, why)
            return "done"
        return "waiting"

    def _done(self, name: str, mine: _Started | None) -> None:
        store.remove_started(self.models_dir, name)
        if mine is not None:
            mine.claim.release(remove=True)
            del self.mine[name]
        else:
            claims.drop_claim(self.models_dir, name)
        print(f"{_now()} started {name}", flush=True)

    def _fail(self, run: store.QueuedRun, mine: _Started, code: int) -> None:
        why = launcher.check_launch(mine.launched, timeout=0) or f"trainer exited with {code}"
        store.mark_failed(self.models_dir, run, why)
        mine.claim.release(remove=True)
        del self.mine[run.name]
        print(f"{_now()} failed {run.name}: {why}", flush=True)

    def _tidy_claims(self) -> None:
        queued_names = {run.name for run in store.queued(self.models_dir)}
        for name in claims.claim_names(self.models_dir):
            if name not in queued_names and name not in self.mine:
                claims.drop_claim(self.models_dir, name)

    def _busy(self) -> list[tuple[int | str, ...]]:
        """Devices of every trainer of this folder on this host: locked runs, then starts."""
        here, busy = socket.gethostname(), {}
        for folder in run_folders(self.models_dir):
            holder = read_lock(folder.lock_path)
            if holder and holder["host"] == here and holder_alive(holder):
                config = _read_config(folder.config_path)
                strategy = str(config.get("strategy", "one-device"))
                busy[folder.name] = devices_used(config.get("devices"), strategy, self.gpus)
        for name, started in self.mine.items():
            busy[name] = started.devices
        for name in claims.claim_names(self.models_dir):
            if name not in busy and claims.claim_held(self.models_dir, name):
                recorded = claims.claim_info(self.models_dir, name).get("devices", "auto")
                busy[name] = devices_used(recorded, "one-device", self.gpus)
        return list(busy.values())

    def _start(self, pending: list[store.QueuedRun]) -> None:
        waiting = [
            Waiting(run.name, getattr(run.config, "devices", "auto"), run.config.strategy)
            for run in pending
        ]
        plan = plan_starts(waiting, self._busy(), self.gpus, store.read_per_gpu(self.models_dir))
        by_name = {run.name: run for run in pending}
        for name, why in plan.impossible:
            store.mark_failed(self.models_dir, by_name[name], why)
        for name, chosen in plan.start:
            self._launch(by_name[name], chosen)

    def _launch(self, run: store.QueuedRun, chosen: str | None) -> None:
        config = run.config
        if chosen is not None and hasattr(config, "devices"):
            config = config.replace(devices=_typed_devices(config, chosen)).validate()
        value = getattr(config, "devices", "auto")
        used = devices_used(value, config.strategy, self.gpus)
        with store.queue_mutex(self.models_dir):
            if not run.path.exists():  # removed from the queue meanwhile
                return
            claim = claims.Claim.take(self.models_dir, run.name, list(used))
        if claim is None:
            return
        folder = RunFolder(self.models_dir / run.name)
        if folder.path.exists():
            _remove_dead_start(folder)
        launched = launcher.spawn_training(
            config, self.models_dir, run.data_dir, run.name, keep_fds=(claim.fd,)
        )
        self.mine[run.name] = _Started(launched, claim, used)
        print(f"{_now()} starting {run.name} (pid {launched.pid}, devices {value})", flush=True)


def _typed_devices(config: object, chosen: str) -> object:
    """The chosen GPU in the type the config's `devices` field has."""
    current = getattr(config, "devices", "auto")
    return [int(chosen)] if isinstance(current, list) else chosen


def _read_config(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a run started by hand may have none yet, or a torn one
        return {}


_DEAD_START_FILES = ("trainer.lock", "trainer.log")


def _leftover_of_a_dead_start(folder: RunFolder) -> bool:
    """A folder a trainer created but died in before writing config.toml (no run yet)."""
    try:
        names = os.listdir(folder.path)
    except OSError:
        return False
    if lock_holder_alive(folder.lock_path):
        return False
    return all(name in _DEAD_START_FILES or name.startswith(".trainer.lock.") for name in names)


def _remove_dead_start(folder: RunFolder) -> None:
    """Delete such a leftover so `cifar-tui train --name` can create the folder again."""
    if not _leftover_of_a_dead_start(folder):
        return
    for name in os.listdir(folder.path):
        (folder.path / name).unlink(missing_ok=True)
    folder.path.rmdir()


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def _gpu_count() -> int:
    from cifar_tui.core.host.gpu import GpuMonitor

    with GpuMonitor() as monitor:
        return len(monitor.read().gpus)


def run_queue(models_dir: Path, poll: float = POLL_SECONDS) -> int:
    """Run the queue of `models_dir` until nothing is left to start; returns the exit code.

    Exits at once if another live runner holds the queue. After letting the lock go it looks
    once more: a run queued while it was deciding to exit (whose `ensure_runner` saw the lock
    still held) is not left waiting.
    """
    models_dir = Path(models_dir).absolute()
    gpus = _gpu_count()
    while True:
        lock = RunLock(runner_lock_path(models_dir))
        try:
            lock.acquire()
        except RunLockedError:
            return 0
        print(f"{_now()} runner pid {os.getpid()}: {gpus} GPU(s) in {models_dir}", flush=True)
        try:
            runner = _Runner(models_dir, gpus)
            while runner.step():
                time.sleep(poll)
        finally:
            lock.release()
        if not any(run.failed is None for run in store.queued(models_dir)):
            print(f"{_now()} queue empty; runner exits", flush=True)
            return 0


def _use_test_trainer() -> None:
    command = os.environ.get(TRAINER_ENV)
    if command:
        prefix = shlex.split(command)
        launcher.trainer_command = lambda args: [*prefix, *args]  # type: ignore[assignment]


def main(argv: list[str] | None = None) -> int:
    """`python -m cifar_tui.core.queue.runner MODELS_DIR`: what `ensure_runner` starts."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m cifar_tui.core.queue.runner MODELS_DIR", file=sys.stderr)
        return 2
    _use_test_trainer()
    poll = float(os.environ.get("CIFAR_TUI_QUEUE_POLL", POLL_SECONDS))
    return run_queue(Path(args[0]), poll)


if __name__ == "__main__":
    sys.exit(main())
