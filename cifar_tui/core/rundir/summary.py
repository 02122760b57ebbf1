"""A run's summary (status and headline numbers) from its events, its lock and its config."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib

from cifar_tui.core.rundir.event_types import (
    Batch,
    EpochEnded,
    Event,
    Failed,
    Finished,
    PredictionsSaved,
    RunStarted,
)
from cifar_tui.core.rundir.events import EventTail, parse_lines
from cifar_tui.core.rundir.fields import whole_number
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.lock import holder_alive, read_lock
from cifar_tui.core.rundir.run_gpus import RunGpu
from cifar_tui.core.rundir.status import run_status

__all__ = ["RunSummary", "SummaryTail", "summarize_events", "summarize_run"]


@dataclass(frozen=True)
class RunSummary:
    """What a runs list shows about one run, derived from its events and its lock."""

    name: str
    path: Path
    status: str
    """One of STATUSES; "interrupted" = no terminal event and no live trainer (e.g. kill -9)."""
    epochs_done: int
    epochs_total: int | None
    best_val_accuracy: float | None
    """Fraction in [0, 1], like Keras logs it."""
    best_epoch: int | None
    test_accuracy: float | None
    started: float | None
    """Unix time of the first run_started event."""
    updated: float | None
    """Unix time of the last event (of config.toml for a run with no events yet)."""
    strategy: str | None
    replicas: int | None
    preset: str | None
    message: str | None
    """The failure message of a failed run."""
    gpus: tuple[RunGpu, ...] | None = None
    """The GPUs of its latest start, () on the CPU, None unrecorded (core/rundir/run_gpus)."""
    queue_position: int | None = None
    """A queued run's place in the queue (1 = next to start; core/queue); None for a run folder."""
    devices_wanted: str | None = None
    """A queued run's `devices` as queued ("auto", "cpu", "1,3"); None for a run folder."""


def _either(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def summarize_events(
    events: list[Event],
    lock_alive: bool = False,
    *,
    name: str = "",
    path: Path | None = None,
    lock_started: float | None = None,
) -> RunSummary:
    """Summarize a run from its events (a pure function: the UI calls it on events it holds).

    Args:
        events: the run's events in file order.
        lock_alive: whether a live trainer holds the run's lock.
        name: the run's name.
        path: the run folder (default: Path(name)).
        lock_started: the lock's "started" time (see `run_status`).

    Returns:
        The summary.
    """
    epochs_done, epochs_total = 0, None
    best_val, best_epoch, test_accuracy = None, None, None
    started, updated, strategy, replicas, preset, message = None, None, None, None, None, None
    gpus: tuple[RunGpu, ...] | None = None
    for event in events:
        updated = _either(event.time, updated)
        if isinstance(event, RunStarted):
            started = _either(started, event.time)
            # A resume continues from its initial epoch (which may be behind the last epoch seen).
            epochs_done = _either(event.initial_epoch, epochs_done)
            epochs_total = _either(event.epochs, epochs_total)
            strategy, replicas, gpus = event.strategy, event.replicas, event.gpus
            preset = _either(event.preset, preset)
        elif isinstance(event, EpochEnded):
            epochs_done = event.epoch
            epochs_total = _either(event.epochs, epochs_total)
            val = event.val_accuracy
            if val is not None and (best_val is None or val > best_val):
                best_val, best_epoch = val, event.epoch
        if isinstance(event, EpochEnded | PredictionsSaved | Finished):
            test_accuracy = _either(event.test_accuracy, test_accuracy)
        elif isinstance(event, Failed):
            message = event.summary or "failed"
    status = run_status(events[-1] if events else None, lock_alive, lock_started)
    return RunSummary(
        name=name,
        path=path if path is not None else Path(name),
        status=status,
        epochs_done=epochs_done,
        epochs_total=epochs_total,
        best_val_accuracy=best_val,
        best_epoch=best_epoch,
        test_accuracy=test_accuracy,
        started=started,
        updated=updated,
        strategy=strategy,
        replicas=replicas,
        preset=preset,
        message=message if status == "failed" else None,
        gpus=gpus,
    )


class SummaryTail(EventTail):
    """What `summarize_events` needs from a run, followed incrementally: every event but the batch
    events that a later event follows.

    A batch event adds nothing to a summary but its time, which the next event's replaces, and a
    long run's file is mostly batch events. So their lines are recognized by how the writer
    starts them and not parsed, except the last one, and a running run is re-read from where the
    previous read stopped: the runs list re-summarizes a running run every 2 s (BENCHMARKS.md,
    "The app through a pty", has what a full parse each time cost).
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._kept: list[Event] = []  # every event but batch events
        self._latest_batch: Event | None = None  # the last event, if it is a batch event

    def events(self) -> list[Event]:
        """The run's events in file order, less the batch events that are not the last event."""
        lines, restarted = self._read_lines()
        if restarted:
            self._kept, self._latest_batch = [], None
        for event in parse_lines(lines, latest_batch_only=True):
            if isinstance(event, Batch):
                self._latest_batch = event
            else:
                self._kept.append(event)
                self._latest_batch = None
        return [*self._kept, self._latest_batch] if self._latest_batch else list(self._kept)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8, or not TOML: nothing known
        return {}


def summarize_run(run: RunFolder, reader: SummaryTail | None = None) -> RunSummary:
    """Status and headline numbers of a run folder; never raises for unreadable or garbage files.

    Args:
        run: the run folder.
        reader: where to take the events from: one kept between calls (as the runs list keeps
            one per run) reads only what was appended since. None reads the file.

    Returns:
        The summary; the preset and epochs come from config.toml until a run_started names them.
    """
    try:
        events = (reader or SummaryTail(run.events_path)).events()
    except OSError:  # e.g. events.jsonl is a folder or unreadable: list the run, not crash
        events = []
    holder = read_lock(run.lock_path)
    summary = summarize_events(
        events,
        holder_alive(holder),
        name=run.name,
        path=run.path,
        lock_started=holder.get("started") if holder else None,
    )
    if summary.preset is None or summary.epochs_total is None:  # no run_started yet
        config = _read_toml(run.config_path)
        preset = config.get("preset")
        summary = dataclasses.replace(
            summary,
            preset=summary.preset or (preset if isinstance(preset, str) else None),
            epochs_total=summary.epochs_total or whole_number(config.get("epochs")),
        )
    if summary.updated is None:
        with contextlib.suppress(OSError):
            target = run.config_path if run.config_path.is_file() else run.path
            summary = dataclasses.replace(summary, updated=target.stat().st_mtime)
    return summary
