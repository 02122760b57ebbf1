"""Every run in the models folder, rescanned every two seconds in a worker thread."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import work
from textual.timer import Timer

from cifar_tui.core.config_files import load_config
from cifar_tui.core.config_values import ConfigError
from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.events import SummaryTail
from cifar_tui.core.rundir.runs import RunFolder, RunSummary, parse_event_line
from cifar_tui.messages import RunsListed
from cifar_tui.ui.common.steady_table import SteadyTable

REFRESH_SECONDS = 2.0
NARROW_WIDTH = 90
"""Below this many columns the list leaves out "updated"."""

STATUS_MARKS = {
    "running": "●",
    "starting": "◌",
    "finished": "✓",
    "stopped": "■",
    "failed": "✗",
    "interrupted": "!",
    "created": "○",
}
"""One shape per status, so the list reads without colour (NO_COLOR)."""

STATUS_STYLES = {
    "running": "bold green",
    "finished": "cyan",
    "stopped": "yellow",
    "failed": "bold red",
    "interrupted": "yellow",
}

COLUMNS = (
    ("name", "run"),
    ("status", "status"),
    ("epochs", "epochs"),
    ("best", "best val"),
    ("test", "test acc"),
    ("updated", "updated"),
)


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime_ns, size) of a file, None if it is missing: a change means it was written."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class RunScanner:
    """Summaries of the runs in a folder, re-reading only runs whose files changed.

    A long run's events.jsonl holds tens of thousands of lines. A summary is reused until the
    run's files change, and a running run (summarized again at every scan, since its trainer may
    die without touching a file) is read on from where the previous scan stopped, by the run's
    own `SummaryTail`.
    """

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir)
        self._cache: dict[str, tuple[object, RunSummary]] = {}
        self._readers: dict[str, SummaryTail] = {}

    def scan(self) -> list[RunSummary]:
        """Newest first, as `list_runs` orders them."""
        try:
            entries = sorted(os.scandir(self.models_dir), key=lambda entry: entry.name)
        except OSError:
            return []
        summaries = []
        names = {entry.name for entry in entries}
        for gone in self._readers.keys() - names:  # a deleted run's: they would stay for nothing
            del self._readers[gone]
            self._cache.pop(gone, None)
        for entry in entries:
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            run = RunFolder(Path(entry.path))
            key = (
                file_stamp(run.events_path),
                file_stamp(run.lock_path),
                file_stamp(run.config_path),
            )
            cached = self._cache.get(entry.name)
            if cached and cached[0] == key and cached[1].status != "running":
                summaries.append(cached[1])
                continue
            if not run.exists:
                continue
            reader = self._readers.setdefault(entry.name, SummaryTail(run.events_path))
            summary = run.summary(reader)
            self._cache[entry.name] = (key, summary)
            summaries.append(summary)
        summaries.sort(key=lambda summary: summary.name, reverse=True)
        summaries.sort(key=lambda summary: summary.updated or 0.0, reverse=True)
        return summaries


WRITTEN_LINE = (b'{"type":"', b"}")
"""How every line EventWriter writes starts and ends (compact JSON, "type" first)."""


def _name_files(message: str, path: Path) -> str:
    # Core errors name the full path; in a run's notes its file name says it (the run is shown).
    return message.replace(f"config file {path}", path.name).replace(str(path), path.name)


def _events_note(run: RunFolder, data: bytes, running: bool) -> str | None:
    *complete, partial = data.split(b"\n")
    # Only lines not shaped like the writer's are parsed: a 20,000-line run is checked in
    # ~10 ms instead of the 0.5 s a second full parse takes (the tail parses every line anyway).
    unreadable = sum(
        1
        for line in complete
        if line.strip()
        and not (line.startswith(WRITTEN_LINE[0]) and line.endswith(WRITTEN_LINE[1]))
        and parse_event_line(line.decode("utf-8", errors="replace")) is None
    )
    torn = bool(partial.strip()) and not running  # a live trainer may be writing that line
    if not unreadable and not torn:
        return None
    parts = [f"{unreadable} unreadable line{'s' if unreadable != 1 else ''}"] if unreadable else []
    if torn:
        parts.append("a torn last line (a killed trainer's)")
    return f"{run.events_path.name}: skipped {' and '.join(parts)}"


def run_notes(run: RunFolder, running: bool) -> list[str]:
    """One short note per file of `run` that the app read around: missing, unreadable, garbage.

    The views read a run forgivingly (garbage lines skipped, a bad config ignored); these notes
    say what was skipped. Reads files: call it from a worker thread.

    Args:
        run: the run folder.
        running: a live trainer holds its lock (then a partial last line is being written, and
            predictions.npz follows an epoch's end by a few seconds).

    Returns:
        Notes like "config.toml is not valid TOML: ... (at line 1, column 9)", most vital first.
    """
    from cifar_tui.core.rundir.artifacts import load_predictions  # numpy: not at app start

    notes = []
    data = b""
    try:
        data = run.events_path.read_bytes()
    except FileNotFoundError:
        pass  # a run not started yet
    except OSError as error:
        notes.append(f"cannot read {run.events_path.name}: {error.strerror or error}")
    if not run.config_path.exists():
        if run.has_events:
            notes.append(f"no {run.config_path.name}: the run cannot be resumed")
    else:
        try:
            load_config(run.config_path)
        except ConfigError as error:  # unreadable, or a field out of range (an old run's, say)
            notes.append(_name_files(str(error), run.config_path))
    events = _events_note(run, data, running)
    if events:
        notes.append(events)
    if run.predictions_path.exists():
        try:
            load_predictions(run.predictions_path)
        except UserError as error:
            notes.append(_name_files(str(error), run.predictions_path))
    elif not running and b'{"type":"epoch_ended"' in data:  # each epoch's end saves them
        notes.append(f"no {run.predictions_path.name}: nothing to browse")
    return notes


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _when(timestamp: float | None) -> str:
    # Absolute local time, never "5 min ago": the list stays the same from one frame to the next.
    return (
        "-" if timestamp is None else datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")
    )


def row_cells(run: RunSummary, keys: list[str] | None = None) -> list[str | Text]:
    """The table cells of one run (of the columns `keys`, default all)."""
    total = "?" if run.epochs_total is None else str(run.epochs_total)
    status = Text(f"{STATUS_MARKS.get(run.status, ' ')} {run.status}")
    status.stylize(STATUS_STYLES.get(run.status, ""))
    best = _percent(run.best_val_accuracy)
    if run.best_epoch is not None:
        best += f" @{run.best_epoch}"
    cells: dict[str, str | Text] = {
        "name": run.name,
        "status": status,
        "epochs": f"{run.epochs_done}/{total}",
        "best": best,
        "test": _percent(run.test_accuracy),
        "updated": _when(run.updated),
    }
    return [cells[key] for key in keys or [key for key, _ in COLUMNS]]


class RunsList(SteadyTable):
    """The runs table; `runs` holds the latest scan, the cursor picks `selected`."""

    def __init__(self, models_dir: Path, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.scanner = RunScanner(models_dir)
        self.runs: list[RunSummary] = []
        self.scanned = False
        """Whether the first scan has arrived."""
        self._shown: list[list[str]] | None = None
        """The cells on screen; None forces a rebuild."""
        self._scans: Timer | None = None
        self._scans_paused = False

    def on_mount(self) -> None:
        self.rescan()
        self._scans = self.set_interval(REFRESH_SECONDS, self.rescan)
        if self._scans_paused:  # its screen was put away before this widget was mounted
            self._scans.pause()

    def pause_scanning(self) -> None:
        """No periodic scans while the list is not shown: each one stats every run's files and
        reads on in the running ones (the app on a long run's monitor: 2.0% of a core with
        them, 1.85% without, 1.7% for `cifar-tui watch`, which has no runs list)."""
        self._scans_paused = True
        if self._scans is not None:
            self._scans.pause()

    def resume_scanning(self) -> None:
        """Scan now (the list is shown again), then every REFRESH_SECONDS as before."""
        if self._scans_paused:
            self._scans_paused = False
            if self._scans is not None:
                self.rescan()
                self._scans.resume()

    @property
    def selected(self) -> RunSummary | None:
        """The run under the cursor."""
        if not self.runs or not 0 <= self.cursor_row < len(self.runs):
            return None
        return self.runs[self.cursor_row]

    @work(
        thread=True, exclusive=True, group="scan", exit_on_error=False, description="Scanning runs"
    )
    def rescan(self) -> None:
        """Scan the models folder now (in a thread) and post RunsListed."""
        self.post_message(RunsListed(self.scanner.scan()))

    def on_runs_listed(self, message: RunsListed) -> None:
        self.show(message.runs)

    @property
    def columns_shown(self) -> tuple[tuple[str, str], ...]:
        """All columns, less "updated" when narrow (a run's name starts with its date)."""
        narrow = 0 < self.size.width < NARROW_WIDTH
        return tuple(column for column in COLUMNS if not (narrow and column[0] == "updated"))

    def _add_columns(self, rows: list[list[str | Text]]) -> None:
        # Widths fit the content exactly: fixed per rebuild, so no cell is drawn at a stale width.
        for index, (key, label) in enumerate(self.columns_shown):
            width = max([len(label)] + [len(str(row[index])) for row in rows])
            self.add_column(label, key=key, width=width)

    def on_resize(self) -> None:
        if self.scanned and len(self.columns_shown) != len(self.columns):
            self._shown = None  # rebuild with the columns that fit
            self.show(self.runs)

    def show(self, runs: list[RunSummary]) -> None:
        """Show `runs`, keeping the cursor on the run it was on."""
        chosen = self.selected.name if self.selected else None
        self.scanned = True
        self.runs = runs
        if not self.size.width:
            return  # not laid out yet: on_resize shows them with the columns that fit
        keys = [key for key, _ in self.columns_shown]
        rows = [row_cells(run, keys) for run in runs]
        if [[str(cell) for cell in row] for row in rows] != self._shown:
            self._shown = [[str(cell) for cell in row] for row in rows]
            self.clear(columns=True)
            self._add_columns(rows)
            for run, row in zip(runs, rows, strict=True):
                self.add_row(*row, key=run.name)
        names = [run.name for run in runs]
        if chosen in names:
            self.move_cursor(row=names.index(chosen), animate=False)

    def select_run(self, name: str) -> None:
        """Put the cursor on run `name` if it is listed."""
        names = [run.name for run in self.runs]
        if name in names:
            self.move_cursor(row=names.index(name), animate=False)
