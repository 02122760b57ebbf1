"""A run as it trains: whether its trainer is still at work, and the last lines of its log."""

from __future__ import annotations

from pathlib import Path

from cifar_tui.core.rundir.event_types import Event
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.lock import holder_alive, read_lock
from cifar_tui.core.rundir.status import run_status

__all__ = ["LOG_TAIL_LINES", "read_log_tail", "trainer_running"]

LOG_TAIL_LINES = 12
"""Lines of trainer.log shown with a failure (a traceback's last frames and its error)."""

_LOG_TAIL_BYTES = 8192
"""Only the end of a log is read: a long run's log holds a line per epoch and then some."""


def read_log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last `lines` non-empty lines of a log file.

    Args:
        path: the log, e.g. a run's trainer.log.
        lines: how many lines at most.

    Returns:
        The lines, oldest first, from the file's last 8 KiB; [] if it cannot be read.
    """
    try:
        with open(path, "rb") as file:
            file.seek(0, 2)
            file.seek(max(file.tell() - _LOG_TAIL_BYTES, 0))
            text = file.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def trainer_running(run: RunFolder, last: Event | None) -> bool:
    """Whether `run` counts as running (see `run_status`), given the last event read of it.

    Reads the run's lock (and probes its holder's pid): call it from a worker thread.
    """
    holder = read_lock(run.lock_path)
    alive = holder_alive(holder)
    started = holder.get("started") if holder else None
    return alive and run_status(last, alive, started) == "running"
