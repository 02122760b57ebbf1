"""The run folder: its paths, its status, finding, naming, creating and listing runs."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from cifar_tui.core.rundir.events import (
    STATUSES,
    TERMINAL_EVENTS,
    EventTail,
    EventWriter,
    RunSummary,
    SummaryTail,
    parse_event_line,
    read_events,
    summarize_events,
)
from cifar_tui.core.rundir.lock import (
    RunLock,
    RunLockedError,
    holder_alive,
    lock_holder_alive,
    read_lock,
)

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
    "STATUSES",
    "TERMINAL_EVENTS",
    "EventTail",
    "EventWriter",
    "RunFolder",
    "RunLock",
    "RunLockedError",
    "RunSummary",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "create_run_folder",
    "format_runs_table",
    "list_runs",
    "lock_holder_alive",
    "new_run_name",
    "parse_event_line",
    "read_events",
    "read_lock",
    "resolve_run",
    "runs_as_json",
    "summarize_events",
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

# --- the folder ---------------------------------------------------------------------------------


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

    @property
    def has_config(self) -> bool:
        return self.config_path.is_file()

    @property
    def has_events(self) -> bool:
        return self.events_path.is_file()

    @property
    def has_model(self) -> bool:
        return self.model_path.is_file()

    @property
    def has_predictions(self) -> bool:
        return self.predictions_path.is_file()

    @property
    def has_checkpoint(self) -> bool:
        return (self.checkpoint_dir / LATEST_CHECKPOINT_FILE).is_file()

    def events(self) -> list[dict[str, Any]]:
        """Every complete event so far (see `read_events`)."""
        return read_events(self.events_path)

    def tail(self) -> EventTail:
        """A fresh incremental reader of this run's events."""
        return EventTail(self.events_path)

    def lock(self) -> RunLock:
        """The trainer lock of this run (not yet acquired)."""
        return RunLock(self.lock_path)

    def lock_alive(self) -> bool:
        """Whether a live trainer holds this run's lock."""
        return lock_holder_alive(self.lock_path)

    def summary(self, reader: SummaryTail | None = None) -> RunSummary:
        """Status and headline numbers; never raises for unreadable or garbage files.

        Args:
            reader: where to take the events from: one kept between calls (as the runs list
                keeps one per run) reads only what was appended since. None reads the file.
        """
        try:
            events = (reader or SummaryTail(self.events_path)).events()
        except OSError:  # e.g. events.jsonl is a folder or unreadable: list the run, not crash
            events = []
        holder = read_lock(self.lock_path)
        summary = summarize_events(
            events,
            holder_alive(holder),
            name=self.name,
            path=self.path,
            lock_started=holder.get("started") if holder else None,
        )
        if summary.preset is None or summary.epochs_total is None:  # no run_started yet
            config = _read_toml(self.config_path)
            preset, epochs = config.get("preset"), config.get("epochs")
            summary = dataclasses.replace(
                summary,
                preset=summary.preset or (preset if isinstance(preset, str) else None),
                epochs_total=summary.epochs_total
                or (epochs if isinstance(epochs, int) and not isinstance(epochs, bool) else None),
            )
        if summary.updated is None:
            with contextlib.suppress(OSError):
                target = self.config_path if self.has_config else self.path
                summary = dataclasses.replace(summary, updated=target.stat().st_mtime)
        return summary


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8, or not TOML: nothing known
        return {}


def _run_folders(models_dir: Path) -> list[RunFolder]:
    try:
        entries = sorted(Path(models_dir).iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []
    runs = [RunFolder(entry) for entry in entries if not entry.name.startswith(".")]
    return [run for run in runs if run.exists]


def list_runs(models_dir: Path) -> list[RunSummary]:
    """Every run folder in `models_dir`, newest first.

    Args:
        models_dir: the folder holding run folders; entries that are not runs are ignored.

    Returns:
        One summary per run, ordered by last update (newest first), then by name.
    """
    summaries = [run.summary() for run in _run_folders(models_dir)]
    summaries.sort(key=lambda summary: summary.name, reverse=True)
    summaries.sort(key=lambda summary: summary.updated or 0.0, reverse=True)
    return summaries


def resolve_run(spec: str, models_dir: Path) -> RunFolder:
    """Find a run from what a user typed: a run name in `models_dir`, or a path to a run folder.

    Args:
        spec: a run name or a path (absolute or relative to the working folder).
        models_dir: where run names are looked up.

    Returns:
        The run folder (absolute path).

    Raises:
        UserError: nothing there is a run folder; the message lists the runs there are.
    """
    models_dir = Path(models_dir)
    candidates: list[Path] = []
    if spec.strip():
        given = Path(spec)
        with contextlib.suppress(RuntimeError):  # "~nosuchuser/..." cannot be expanded
            given = given.expanduser()
        if given.name == spec and spec not in (".", ".."):  # a bare name: models_dir wins
            candidates.append(models_dir / spec)
        candidates.append(given)
    for candidate in candidates:
        run = RunFolder(candidate.absolute())
        if run.exists:
            return run
    # Names start with the date, so reverse order lists the newest runs first.
    names = [run.name for run in reversed(_run_folders(models_dir))]
    known = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "") if names else "none yet"
    raise UserError(
        f"no run named {spec!r} in {models_dir}/ (runs: {known}); "
        "give a run name or a path to a run folder"
    )


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9._]+", "-", label.lower()).strip("-.")


def new_run_name(models_dir: Path, label: str, now: datetime | None = None) -> str:
    """A fresh run name: local date and time plus a label, e.g. "2026-11-25_1915_recipe-2018".

    Args:
        models_dir: where the run will live; a taken name gets "-2", "-3", ... appended.
        label: usually the preset name; lowered, with anything but [a-z0-9._] turned into "-".
        now: the time to use (default: now).

    Returns:
        A name not yet present in `models_dir`.
    """
    stamp = (now or datetime.now()).strftime("%Y-%m-%d_%H%M")
    slug = _slug(label)
    base = f"{stamp}_{slug}" if slug else stamp
    name, counter = base, 1
    while (Path(models_dir) / name).exists():
        counter += 1
        name = f"{base}-{counter}"
    return name


def create_run_folder(models_dir: Path, name: str) -> RunFolder:
    """Make a new, empty run folder (and `models_dir` if needed).

    Args:
        models_dir: the folder holding runs.
        name: the run's name: one path component, not hidden.

    Returns:
        The new run folder.

    Raises:
        UserError: the name is not usable or the folder already exists.
    """
    if not name or name.startswith(".") or Path(name).name != name:
        raise UserError(f"bad run name {name!r}: use a plain folder name like 2026-11-25_1915_fast")
    models_dir = Path(models_dir)
    path = models_dir / name
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        path.mkdir()
    except FileExistsError:
        raise UserError(
            f"run folder {path} already exists; pick another name or resume it"
        ) from None
    except OSError as error:
        raise UserError(f"cannot create run folder {path}: {error.strerror}") from None
    return RunFolder(path)


# --- showing runs -------------------------------------------------------------------------------


def _percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{100 * fraction:.1f}%"


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def format_runs_table(runs: list[RunSummary]) -> str:
    """A plain-text table for `cifar-tui runs`: columns aligned, no colour, no trailing spaces.

    Args:
        runs: the summaries, in the order to show.

    Returns:
        The table (header first, no final newline), or "no runs yet" for an empty list.
    """
    if not runs:
        return "no runs yet"
    rows = [("run", "status", "epochs", "best val acc", "test acc", "updated")]
    for run in runs:
        total = "?" if run.epochs_total is None else str(run.epochs_total)
        rows.append(
            (
                run.name,
                run.status,
                f"{run.epochs_done}/{total}",
                _percent(run.best_val_accuracy),
                _percent(run.test_accuracy),
                _when(run.updated),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    right = {2, 3, 4}  # numbers read best right-aligned
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if column in right else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def runs_as_json(runs: list[RunSummary]) -> list[dict[str, Any]]:
    """The summaries as JSON-ready dicts (`cifar-tui runs --json`); paths become strings.

    Args:
        runs: the summaries.

    Returns:
        One dict per run with every RunSummary field.
    """
    return [{**dataclasses.asdict(run), "path": str(run.path)} for run in runs]
