"""The monitor's tail worker: each poll's events of a run, and its trainer's liveness, as messages.

The reading itself is core (EventTail, `trainer_running`, `run_notes`, `read_log_tail`); this is
the loop that turns what it reads into the messages RunMonitor handles.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from textual.message import Message

from cifar_tui.core.rundir.event_types import Batch, EpochEnded, Event, Failed, Finished
from cifar_tui.core.rundir.events import BATCH_EVENT_INTERVAL
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.live import read_log_tail, trainer_running
from cifar_tui.core.rundir.notes import run_notes
from cifar_tui.ui.monitor import tail_messages

POLL_SECONDS = BATCH_EVENT_INTERVAL
"""How often the tail worker looks for new lines: as often as the trainer writes a batch event,
since each poll that finds one repaints the progress bars (polling faster repaints no more)."""
LOCK_CHECK_SECONDS = 1.0


def messages_for_events(
    run: str, events: list[Event], follow: int, live: bool, log_tail: list[str]
) -> list[Message]:
    """Turn one poll's events into messages; of a burst of batch events only the last counts."""
    last_batch = max((i for i, e in enumerate(events) if isinstance(e, Batch)), default=-1)
    messages: list[Message] = []
    for index, event in enumerate(events):
        if isinstance(event, Batch):
            if index == last_batch:
                messages.append(tail_messages.BatchProgress(run, event, follow))
        elif isinstance(event, EpochEnded):
            messages.append(tail_messages.EpochEnded(run, event, follow))
        elif isinstance(event, Finished):
            messages.append(tail_messages.RunFinished(run, event, follow, live))
        elif isinstance(event, Failed):
            messages.append(tail_messages.RunFailed(run, event, follow, live, log_tail))
        else:
            messages.append(tail_messages.EventArrived(run, event, follow))
    return messages


def follow_run(
    run: RunFolder,
    follow: int,
    post: Callable[[Message], object],
    notes_read: Callable[[list[str]], Message],
    cancelled: threading.Event,
) -> None:
    """Post a message per event of `run` (those so far, then new ones) until `cancelled` is set.

    Args:
        run: the run followed.
        follow: the number of this worker, carried by every message it posts.
        post: posts a message (thread-safe: this runs in a worker thread).
        notes_read: the message that carries `run_notes` of the run.
        cancelled: set to end the loop.
    """
    tail, live, alive, last = run.tail(), False, None, None
    next_check = 0.0
    while not cancelled.is_set():
        try:
            # Only the latest batch event of a poll is shown (messages_for_events): the others
            # are not even parsed, which matters when a long run is opened.
            events = tail.poll(latest_batch_only=True)
        except OSError:  # e.g. events.jsonl is a folder: the notes say so; keep checking
            events = []
        if events:
            last = events[-1]
            failed = any(isinstance(event, Failed) for event in events)
            log_tail = read_log_tail(run.log_path) if failed else []
            for message in messages_for_events(run.name, events, follow, live, log_tail):
                post(message)
        if time.monotonic() >= next_check:
            next_check = time.monotonic() + LOCK_CHECK_SECONDS
            running = trainer_running(run, last)
            if running != alive:
                alive = running
                # Before TrainerAlive, which marks the run loaded: the notes are part of it.
                # Checked again when the trainer stops: a killed one may leave a torn line.
                post(notes_read(run_notes(run, running)))
                post(tail_messages.TrainerAlive(run.name, running, follow))
        live = True
        cancelled.wait(POLL_SECONDS)
