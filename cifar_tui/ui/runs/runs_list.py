"""Every run in the models folder, rescanned every two seconds in a worker thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual import work
from textual.message import Message
from textual.timer import Timer

from cifar_tui.core.queue.summaries import queued_summaries
from cifar_tui.core.rundir.listing import RunScanner
from cifar_tui.core.rundir.run_gpus import gpus_text
from cifar_tui.core.rundir.runs_table import format_percent, format_when
from cifar_tui.core.rundir.summary import RunSummary
from cifar_tui.ui.common.status_marks import STATUS_MARKS, status_style
from cifar_tui.ui.common.steady_table import SteadyTable

REFRESH_SECONDS = 2.0
MARK = "✓ "
"""Before the name of a run marked for comparison (space marks, c compares)."""
NARROW_WIDTH = 90
"""Below this many columns the list leaves out "updated"."""

COLUMNS = (
    ("name", "run"),
    ("status", "status"),
    ("gpu", "gpu"),
    ("epochs", "epochs"),
    ("best", "best val"),
    ("test", "test acc"),
    ("updated", "updated"),
)


def row_cells(
    run: RunSummary, keys: list[str] | None = None, marked: bool = False
) -> list[str | Text]:
    """The table cells of one run (of the columns `keys`, default all); ✓ before a marked one."""
    total = "?" if run.epochs_total is None else str(run.epochs_total)
    queued = f" #{run.queue_position}" if run.queue_position is not None else ""
    status = Text(f"{STATUS_MARKS.get(run.status, ' ')} {run.status}{queued}")
    if queued and run.message:  # its trainer could not start: it waits for `queue rm`
        status = Text(f"{STATUS_MARKS['failed']} not started")
    status.stylize(status_style(run.status))
    best = format_percent(run.best_val_accuracy, digits=2)
    if run.best_epoch is not None:
        best += f" @{run.best_epoch}"
    cells: dict[str, str | Text] = {
        "name": f"{MARK}{run.name}" if marked else run.name,
        "status": status,
        "gpu": gpus_text(run.gpus) if run.devices_wanted is None else run.devices_wanted,
        "epochs": f"{run.epochs_done}/{total}",
        "best": best,
        "test": format_percent(run.test_accuracy, digits=2),
        "updated": format_when(run.updated),
    }
    return [cells[key] for key in keys or [key for key, _ in COLUMNS]]


class RunsList(SteadyTable):
    """The runs table; `runs` holds the latest scan, the cursor picks `selected`."""

    @dataclass
    class RunsListed(Message):
        """A fresh scan of the models folder (newest run first)."""

        runs: list[RunSummary] = field(default_factory=list)

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RunsList.RunsListed)

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
        self.marked: list[str] = []
        """Names of the runs marked for comparison, in the order they were marked."""

    def on_mount(self) -> None:
        self.rescan()
        self._scans = self.set_interval(REFRESH_SECONDS, self.rescan)
        if self._scans_paused:  # its screen was put away before this widget was mounted
            self._scans.pause()

    def pause_scanning(self) -> None:
        """No periodic scans while the list is not shown: each one stats every run's files and
        reads on in the running ones, CPU that training could use (BENCHMARKS.md, "The app
        through a pty")."""
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
        """Scan the models folder now (in a thread) and post RunsListed: queued runs first."""
        queued = queued_summaries(self.scanner.models_dir)
        self.post_message(self.RunsListed(queued + self.scanner.scan()))

    def on_runs_list_runs_listed(self, message: RunsListed) -> None:
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
        listed = {run.name for run in runs}
        self.marked = [name for name in self.marked if name in listed]
        rows = [row_cells(run, keys, run.name in self.marked) for run in runs]
        if [[str(cell) for cell in row] for row in rows] != self._shown:
            self._shown = [[str(cell) for cell in row] for row in rows]
            self.clear(columns=True)
            self._add_columns(rows)
            for run, row in zip(runs, rows, strict=True):
                self.add_row(*row, key=run.name)
        names = [run.name for run in runs]
        if chosen in names:
            self.move_cursor(row=names.index(chosen), animate=False)

    def toggle_mark(self) -> str | None:
        """Mark the run under the cursor, or unmark it; its name (None: no run there)."""
        run = self.selected
        if run is None:
            return None
        if run.name in self.marked:
            self.marked.remove(run.name)
        else:
            self.marked.append(run.name)
        self.show(self.runs)
        return run.name

    def select_run(self, name: str) -> None:
        """Put the cursor on run `name` if it is listed."""
        names = [run.name for run in self.runs]
        if name in names:
            self.move_cursor(row=names.index(name), animate=False)
