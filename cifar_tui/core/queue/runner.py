"""The queue's runner: one process per models folder that starts queued runs as slots free.

Started by `ensure_runner` (from `cifar-tui queue add` and the app) in its own session, it holds
`.queue/runner.lock` and exits once nothing is left to start. It never imports TensorFlow: each
run is an ordinary `cifar-tui train` started through core/host/launcher.py, as the app starts one.

A queued run goes: queued (its `.queue/NNNNNN-name.toml`) -> claimed (`.queue/name.claim`
flock'ed, then the trainer started, inheriting the flock) -> started (the trainer has created
the run folder and, holding its lock, written config.toml) -> the queue file is deleted, then
the claim file. starter.py reads each state back after a kill -9 of the runner or a trainer.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
import time
from pathlib import Path

from cifar_tui.core.host import launcher
from cifar_tui.core.host.priority import at_normal_priority
from cifar_tui.core.queue import store
from cifar_tui.core.queue.paths import queue_dir, runner_lock_path, runner_log_path
from cifar_tui.core.queue.starter import QueueRunner, now_text
from cifar_tui.core.rundir.lock import (
    RunLock,
    RunLockedError,
    lock_holder_alive,
)

if sys.version_info >= (3, 11):
    pass
else:  # Python 3.10: the same parser, published as tomli
    pass

__all__ = ["GPUS_ENV", "POLL_ENV", "TRAINER_ENV", "ensure_runner", "runner_lock_path", "run_queue"]

TRAINER_ENV = "CIFAR_TUI_QUEUE_TRAINER"
"""Tests only: a command (shell words) that stands in for `python -m cifar_tui` in trainers."""
POLL_ENV = "CIFAR_TUI_QUEUE_POLL"
"""Tests only: seconds between the runner's looks (default POLL_SECONDS)."""
GPUS_ENV = "CIFAR_TUI_QUEUE_GPUS"
"""Tests only: the GPU count the runner plans for, instead of NVML's."""
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


def _gpu_count() -> int:
    from cifar_tui.core.host.gpu import GpuMonitor

    with GpuMonitor() as monitor:
        return len(monitor.read().gpus)


def run_queue(models_dir: Path, poll: float = POLL_SECONDS, gpus: int | None = None) -> int:
    """Run the queue of `models_dir` until nothing is left to start; returns the exit code.

    Exits at once if another live runner holds the queue. After letting the lock go it looks
    once more: a run queued while it was deciding to exit (whose `ensure_runner` saw the lock
    still held) is not left waiting.

    Args:
        models_dir: the models folder.
        poll: seconds between looks at the queue and the running trainers.
        gpus: GPUs to plan for (None: count them with NVML).
    """
    models_dir = Path(models_dir).absolute()
    gpus = _gpu_count() if gpus is None else gpus
    while True:
        lock = RunLock(runner_lock_path(models_dir))
        try:
            lock.acquire()
        except RunLockedError:
            return 0
        print(f"{now_text()} runner pid {os.getpid()}: {gpus} GPU(s) in {models_dir}", flush=True)
        try:
            runner = QueueRunner(models_dir, gpus)
            while runner.step():
                time.sleep(poll)
        finally:
            lock.release()
        if not any(run.failed is None for run in store.queued(models_dir)):
            print(f"{now_text()} queue empty; runner exits", flush=True)
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
    poll = float(os.environ.get(POLL_ENV, POLL_SECONDS))
    gpus = os.environ.get(GPUS_ENV)
    return run_queue(Path(args[0]), poll, int(gpus) if gpus else None)


if __name__ == "__main__":
    sys.exit(main())
