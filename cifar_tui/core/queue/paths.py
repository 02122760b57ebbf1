"""Where the queue lives in a models folder (one place, for the store, the claims, the runner)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["QUEUE_DIR", "queue_dir", "runner_lock_path", "runner_log_path"]

QUEUE_DIR = ".queue"
"""Hidden, so run listings skip it."""


def queue_dir(models_dir: Path) -> Path:
    """The queue's folder inside `models_dir`."""
    return Path(models_dir) / QUEUE_DIR


def runner_lock_path(models_dir: Path) -> Path:
    """The lock the runner of `models_dir` holds (the RunLock format: pid, host, started)."""
    return queue_dir(models_dir) / "runner.lock"


def runner_log_path(models_dir: Path) -> Path:
    """Where the runner's output goes."""
    return queue_dir(models_dir) / "runner.log"
