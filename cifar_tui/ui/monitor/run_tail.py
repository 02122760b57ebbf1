"""Reading a run as it trains: events turned into messages, the trainer's liveness, its log."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from cifar_tui.core.rundir.events import BATCH_EVENT_INTERVAL
from cifar_tui.core.rundir.lock import holder_alive, read_lock
from cifar_tui.core.rundir.runs import TERMINAL_EVENTS, RunFolder
from cifar_tui.messages import (
    BatchProgress,
    EpochEnded,
    EventArrived,
    RunFailed,
    RunFinished,
)

POLL_SECONDS = BATCH_EVENT_INTERVAL
"""How often the tail worker looks for new lines: as often as the trainer writes a batch event,
since each poll that finds one repaints the progress bars (polling faster repaints no more)."""
LOCK_CHECK_SECONDS = 1.0
LOG_TAIL_LINES = 12


def messages_for_events(
    run: str, events: list[dict[str, Any]], follow: int, live: bool, log_tail: list[str]
) -> list[Message]:
    """Turn one poll's events into messages; of a burst of batch events only the last counts."""
    last_batch = max((i for i, e in enumerate(events) if e["type"] == "batch"), default=-1)
    messages: list[Message] = []
    for index, event in enumerate(events):
        kind = event["type"]
        if kind == "batch":
            if index == last_batch:
                messages.append(BatchProgress(run, event, follow))
        elif kind == "epoch_ended":
            messages.append(EpochEnded(run, event, follow))
        elif kind == "finished":
            messages.append(RunFinished(run, event, follow, live))
        elif kind == "failed":
            messages.append(RunFailed(run, event, follow, live, log_tail))
        else:
            messages.append(EventArrived(run, event, follow))
    return messages


def read_log_tail(run: RunFolder, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last `lines` non-empty lines of the run's trainer.log ([] if there is none)."""
    try:
        with open(run.log_path, "rb") as file:
            file.seek(0, 2)
            file.seek(max(file.tell() - 8192, 0))
            text = file.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


def trainer_running(run: RunFolder, last: dict[str, Any] | None) -> bool:
    """As `summarize_events` decides it: a live lock holder that has not written its end yet."""
    holder = read_lock(run.lock_path)
    if not holder_alive(holder):
        return False
    assert holder is not None
    if last is not None and last.get("type") in TERMINAL_EVENTS:
        ended, locked = last.get("time"), holder.get("started")
        if isinstance(ended, int | float) and isinstance(locked, int | float) and ended >= locked:
            return False
    return True
