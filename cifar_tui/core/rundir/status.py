"""A run's status: the one rule that reads it from the last event and the trainer's lock."""

from __future__ import annotations

from cifar_tui.core.rundir.event_types import Event
from cifar_tui.core.rundir.fields import finite_number

__all__ = ["RESUMABLE_STATUSES", "STATUSES", "run_status"]

STATUSES = ("created", "running", "finished", "stopped", "failed", "interrupted")
"""Every status a run folder can have ("starting" is the app's own: a trainer it just spawned)."""

RESUMABLE_STATUSES = ("stopped", "interrupted", "failed")
"""Statuses whose run `cifar-tui train --resume` continues (a finished one needs more epochs)."""


def run_status(last: Event | None, lock_alive: bool, lock_started: float | None = None) -> str:
    """The status of a run (a pure function: callers read the lock).

    Args:
        last: the run's last event (None: it has none yet).
        lock_alive: whether a live trainer holds the run's lock.
        lock_started: the lock's "started" time; a terminal event written after it means the
            trainer is only exiting, so the run counts as ended, not running.

    Returns:
        One of STATUSES: "running" while a live trainer holds the lock and has not written its
        end; else "created" without events, the terminal event's type, or "interrupted" (no
        terminal event and no live trainer, e.g. kill -9).
    """
    lock_time = finite_number(lock_started)
    ended_after_lock = (
        last is not None
        and last.terminal
        and lock_time is not None
        and (last.time if last.time is not None else 0.0) >= lock_time
    )
    if lock_alive and not ended_after_lock:
        return "running"
    if last is None:
        return "created"
    return last.type if last.terminal else "interrupted"
