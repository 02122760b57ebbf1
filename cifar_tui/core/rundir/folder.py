"""A run folder: the names of its files, and the paths every reader and writer agrees on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cifar_tui.core.rundir.event_types import Event
from cifar_tui.core.rundir.events import EventTail, read_events
from cifar_tui.core.rundir.lock import RunLock

__all__ = [
    "AUGMENTATION_PREVIEW_FILE",
    "CHECKPOINT_DIR",
    "CONFIG_FILE",
    "EVENTS_FILE",
    "LATEST_CHECKPOINT_FILE",
    "LOCK_FILE",
    "LOG_FILE",
    "MODEL_FILE",
    "PREDICTIONS_FILE",
    "RunFolder",
]

CONFIG_FILE = "config.toml"
EVENTS_FILE = "events.jsonl"
CHECKPOINT_DIR = "checkpoint"
LATEST_CHECKPOINT_FILE = "latest.json"  # inside CHECKPOINT_DIR, names the newest checkpoint
MODEL_FILE = "model.keras"
PREDICTIONS_FILE = "predictions.npz"
LOCK_FILE = "trainer.lock"
LOG_FILE = "trainer.log"
AUGMENTATION_PREVIEW_FILE = "augmentation_preview.npz"  # a few training images before/after


@dataclass(frozen=True)
class RunFolder:
    """One run's folder; every path the trainer and the UI agree on is a property here."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def events_path(self) -> Path:
        return self.path / EVENTS_FILE

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / CHECKPOINT_DIR

    @property
    def model_path(self) -> Path:
        return self.path / MODEL_FILE

    @property
    def predictions_path(self) -> Path:
        return self.path / PREDICTIONS_FILE

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK_FILE

    @property
    def log_path(self) -> Path:
        return self.path / LOG_FILE

    @property
    def exists(self) -> bool:
        """The folder exists and holds a config or events (what makes a folder a run)."""
        return self.path.is_dir() and (self.config_path.is_file() or self.events_path.is_file())

    def events(self) -> list[Event]:
        """Every complete event so far (see `read_events`)."""
        return read_events(self.events_path)

    def tail(self) -> EventTail:
        """A fresh incremental reader of this run's events."""
        return EventTail(self.events_path)

    def lock(self) -> RunLock:
        """The trainer lock of this run (not yet acquired)."""
        return RunLock(self.lock_path)
