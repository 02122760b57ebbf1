"""What RunMonitor's tail worker posts: run events read from events.jsonl, as Textual messages.

The worker (a thread, `RunMonitor.follow`; `run_tail.messages_for_events` builds them) posts
these to the RunMonitor; the ended ones bubble up to the app, which notifies the user. Every one
names the run it came from, so a message still queued when the monitor switches to another run
is recognised and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from cifar_tui.core.rundir import event_types

# Every run message carries `follow`: the number of the tail worker that read it. A monitor that
# has moved on to another worker drops messages still queued from the old one.


@dataclass
class EventArrived(Message):
    """Any other event from the run (run_started, checkpoint_saved, stopped, ...)."""

    run: str
    event: event_types.Event
    follow: int = 0


@dataclass
class EpochEnded(Message):
    """An epoch_ended event: one more point on every curve and one more table row."""

    run: str
    event: event_types.EpochEnded
    follow: int = 0


@dataclass
class BatchProgress(Message):
    """Batches done in the current epoch; only the latest one matters."""

    run: str
    event: event_types.Batch
    follow: int = 0

    def can_replace(self, message: Message) -> bool:
        # A burst of batch events collapses into the newest one (from the same run).
        return isinstance(message, BatchProgress) and message.follow == self.follow


@dataclass
class RunFinished(Message):
    """The trainer wrote its finished event (test accuracy is in the event)."""

    run: str
    event: event_types.Finished
    follow: int = 0
    live: bool = True
    """False when read from the events already in the file as the monitor opened the run."""


@dataclass
class RunFailed(Message):
    """The trainer wrote a failed event; the event carries the message and a log tail."""

    run: str
    event: event_types.Failed
    follow: int = 0
    live: bool = True
    """False when read from the events already in the file as the monitor opened the run."""
    log_tail: list[str] = field(default_factory=list)
    """The last lines of the run's trainer.log when the event was read."""


@dataclass
class TrainerAlive(Message):
    """Whether a live trainer holds the run's lock, posted when that changes."""

    run: str
    alive: bool
    follow: int = 0

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TrainerAlive) and message.follow == self.follow
