"""Every event of events.jsonl as a typed record, and the one place a parsed line is validated.

A line is JSON written by the trainer (or edited by hand), so every field is checked once here:
a number that is NaN, infinite, a bool or not a number reads as None, a text that is not a
string reads as None, and readers never check a field again. Fields a type does not declare (a
newer trainer's) are kept in `extra`; a type this reader does not know is kept as a plain
`Event`, so a newer writer's events still count for a run's status and time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cifar_tui.core.rundir.device_use import DeviceUse, device_use_from
from cifar_tui.core.rundir.fields import finite_number, text_or_none, whole_number
from cifar_tui.core.rundir.run_gpus import RunGpu, run_gpus_from

__all__ = [
    "TERMINAL_EVENTS",
    "Batch",
    "CheckpointSaved",
    "EpochEnded",
    "Event",
    "Failed",
    "Finished",
    "PredictionsSaved",
    "RunStarted",
    "Stopped",
    "event_from_dict",
]

TERMINAL_EVENTS = frozenset({"finished", "stopped", "failed"})
"""Event types after which a trainer writes nothing more (until a resume starts a new segment)."""


@dataclass(frozen=True, kw_only=True)
class Event:
    """Any event: its type and time; an event of a type this reader does not know is one too."""

    type: str
    time: float | None = None
    """Unix time the trainer wrote it."""
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """Fields this reader does not know (a newer writer's), as they were written."""

    @property
    def terminal(self) -> bool:
        """The trainer wrote nothing after this event (finished, stopped or failed)."""
        return self.type in TERMINAL_EVENTS


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    """A trainer started (or resumed) the run: what it trains, on what, from where."""

    type: str = field(default="run_started", init=False)
    run: str | None = None
    config: Mapping[str, Any] | None = field(default=None, hash=False)
    """The run's config as a table (TrainConfig.to_dict)."""
    versions: Mapping[str, Any] | None = field(default=None, hash=False)
    device: str | None = None
    strategy: str | None = None
    replicas: int | None = None
    mixed_precision: str | None = None
    train_size: int | None = None
    val_size: int | None = None
    test_size: int | None = None
    steps_per_epoch: int | None = None
    epochs: int | None = None
    initial_epoch: int | None = None
    """Epochs already trained: a resume continues after them."""
    initial_step: int | None = None
    pid: int | None = None
    host: str | None = None
    resumed: bool | None = None
    data_source: str | None = None
    """The CIFAR-10 archive or folder trained on (absolute)."""
    gpus: tuple[RunGpu, ...] | None = None
    """The GPUs it trains on (nvidia-smi's indices); () on the CPU (core/rundir/run_gpus)."""
    warnings: tuple[str, ...] | None = None
    """One line each, with its fix: e.g. it trains on the CPU beside GPUs TensorFlow cannot see."""

    @property
    def preset(self) -> str | None:
        """The config's preset name (tolerating one inside a table of the config)."""
        config = self.config or {}
        if isinstance(config.get("preset"), str):
            return str(config["preset"])
        for section in config.values():
            if isinstance(section, dict) and isinstance(section.get("preset"), str):
                return str(section["preset"])
        return None


@dataclass(frozen=True, kw_only=True)
class Batch(Event):
    """Where the epoch in progress stands; written at most every BATCH_EVENT_INTERVAL seconds."""

    type: str = field(default="batch", init=False)
    epoch: int | None = None
    """The epoch in progress, 1-based."""
    step: int | None = None
    steps: int | None = None
    loss: float | None = None
    accuracy: float | None = None
    images_per_second: float | None = None


@dataclass(frozen=True, kw_only=True)
class EpochEnded(Event):
    """An epoch's metrics; a line without a whole `epoch` is read as a plain Event instead."""

    type: str = field(default="epoch_ended", init=False)
    epoch: int
    """The epoch that ended, 1-based (required: curves and table rows are per epoch)."""
    epochs: int | None = None
    loss: float | None = None
    accuracy: float | None = None
    val_loss: float | None = None
    val_accuracy: float | None = None
    """Fraction in [0, 1], like Keras logs it."""
    test_accuracy: float | None = None
    learning_rate: float | None = None
    seconds: float | None = None
    train_seconds: float | None = None
    images_per_second: float | None = None
    first_batch_seconds: float | None = None
    partial: bool | None = None
    """The epoch started mid-way (a resume from a step checkpoint): its time is not a full one."""
    device_use: DeviceUse | None = None
    """How busy the trainer's GPUs or CPU were while the epoch trained (core/rundir/device_use)."""


@dataclass(frozen=True, kw_only=True)
class CheckpointSaved(Event):
    """A checkpoint of `epoch` epochs plus `step` batches was committed."""

    type: str = field(default="checkpoint_saved", init=False)
    epoch: int | None = None
    step: int | None = None
    path: str | None = None
    """Relative to the run folder."""


@dataclass(frozen=True, kw_only=True)
class PredictionsSaved(Event):
    """predictions.npz now holds the test set's predictions after `epoch` epochs."""

    type: str = field(default="predictions_saved", init=False)
    epoch: int | None = None
    test_accuracy: float | None = None
    test_loss: float | None = None
    tta: str | None = None
    """Test-time views averaged (tta.py); None: the single view."""
    single_view_accuracy: float | None = None


@dataclass(frozen=True, kw_only=True)
class Finished(Event):
    """Every epoch trained and the test set evaluated."""

    type: str = field(default="finished", init=False)
    epoch: int | None = None
    test_accuracy: float | None = None
    test_loss: float | None = None
    tta: str | None = None
    """Test-time views averaged (tta.py); None: the single view."""
    single_view_accuracy: float | None = None
    seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class Stopped(Event):
    """Stopped on request after a checkpoint of `epoch` epochs plus `step` batches."""

    type: str = field(default="stopped", init=False)
    epoch: int | None = None
    step: int | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class Failed(Event):
    """Training failed: the error's class name, one line about it, and the log's last lines."""

    type: str = field(default="failed", init=False)
    epoch: int | None = None
    error: str | None = None
    message: str | None = None
    log_tail: tuple[str, ...] | None = None

    @property
    def summary(self) -> str | None:
        """The message, else the error's name (None if the event names neither)."""
        return self.message or self.error or None


def _table(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, dict) else None


def _lines(value: Any) -> tuple[str, ...] | None:
    return tuple(str(line) for line in value) if isinstance(value, list) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


_READERS: dict[str, Callable[[Any], Any]] = {
    "float | None": finite_number,
    "int | None": whole_number,
    "int": whole_number,
    "str | None": text_or_none,
    "bool | None": _flag,
    "Mapping[str, Any] | None": _table,
    "tuple[str, ...] | None": _lines,
    "DeviceUse | None": device_use_from,
    "tuple[RunGpu, ...] | None": run_gpus_from,
}
"""How a field is read, by its annotation (a new annotation must be added here: KeyError)."""

EventClass = type[Event]


def _spec(cls: EventClass) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """(name, reader) of every field `cls` reads from a line."""
    return tuple(
        (item.name, _READERS[str(item.type)])
        for item in dataclasses.fields(cls)
        if item.name not in ("type", "extra")
    )


def _required(cls: EventClass) -> tuple[str, ...]:
    """The fields without which a line is not an event of `cls` (annotated without None)."""
    return tuple(name for name, _ in _spec(cls) if not _annotation(cls, name).endswith("None"))


def _annotation(cls: EventClass, name: str) -> str:
    return str(next(item.type for item in dataclasses.fields(cls) if item.name == name))


_TYPES: dict[str, EventClass] = {
    str(cls.type): cls
    for cls in (
        RunStarted, Batch, EpochEnded, CheckpointSaved, PredictionsSaved, Finished, Stopped, Failed
    )
}  # fmt: skip
_SPECS = {cls: _spec(cls) for cls in _TYPES.values()}
_REQUIRED = {cls: _required(cls) for cls in _TYPES.values()}
_NAMES = {cls: frozenset(("type", *(name for name, _ in spec))) for cls, spec in _SPECS.items()}


def _build(cls: EventClass, kind: str, values: dict[str, Any]) -> Event:
    """`cls(**values)` for values read above, without __init__'s cost.

    A frozen dataclass's __init__ sets each field through object.__setattr__, a cost paid for
    every line of a long run's file; every field is in `values`, already checked, so the
    instance's __dict__ is filled at once (the table tests compare with __init__-built events).
    """
    event = object.__new__(cls)
    event.__dict__.update(values, type=kind)
    return event


def event_from_dict(raw: Mapping[str, Any]) -> Event | None:
    """The typed event of one parsed line.

    Args:
        raw: the JSON object of a line.

    Returns:
        The event of its type; a plain Event for a type this reader does not know, or for a
        line without a field its type requires (its fields then all go to `extra`); None for a
        line without a string "type".
    """
    kind = raw.get("type")
    if not isinstance(kind, str):
        return None
    cls = _TYPES.get(kind)
    if cls is not None:
        values = {name: read(raw.get(name)) for name, read in _SPECS[cls]}
        if all(values[name] is not None for name in _REQUIRED[cls]):
            names = _NAMES[cls]
            values["extra"] = {key: value for key, value in raw.items() if key not in names}
            return _build(cls, kind, values)
    extra = {key: value for key, value in raw.items() if key not in ("type", "time")}
    return Event(type=kind, time=finite_number(raw.get("time")), extra=extra)
