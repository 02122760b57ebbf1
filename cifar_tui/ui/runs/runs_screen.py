"""The runs list: every run in the models folder; open, browse, stop or resume one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Group
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.listing import file_stamp
from cifar_tui.core.rundir.notes import run_notes
from cifar_tui.core.rundir.status import RESUMABLE_STATUSES
from cifar_tui.core.rundir.summary import RunSummary
from cifar_tui.ui.common.gpu_settings import GpuSettings, toggle_gpu_pane
from cifar_tui.ui.common.key_footer import KeyFooter
from cifar_tui.ui.common.mode_bar import ModeBar
from cifar_tui.ui.runs.queued_detail import queued_detail
from cifar_tui.ui.runs.runs_list import RunsList

NotesKey = tuple[object, ...]

COMPARE_HELP = "Compare the marked runs (under two: this run and the one below)"


def notes_key(run: RunSummary) -> NotesKey:
    """What the notes of `run` depend on; they are read again when it changes.

    A running run's events change every batch: its notes are read again per epoch instead.
    """
    folder = RunFolder(run.path)
    events = (run.epochs_done,) if run.status == "running" else file_stamp(folder.events_path)
    return (
        run.status,
        file_stamp(folder.config_path),
        events,
        file_stamp(folder.predictions_path),
    )


class RunsScreen(Screen[None]):
    """The start screen: the runs table, details of the selected run, and the GPU pane."""

    BINDINGS = [
        Binding("enter", "watch", "Watch", priority=True),
        Binding("b", "browse", "Browse"),
        Binding("s", "stop", "Stop"),
        Binding("r", "resume", "Resume"),
        Binding("n", "app.show('config')", "New"),
        Binding("g", "toggle_gpu", "GPU"),
        Binding("space", "mark", "Mark", show=False, tooltip="Mark the run for comparison, or not"),
        Binding("c", "compare", "Compare", show=False, tooltip=COMPARE_HELP),
    ]

    @dataclass
    class OpenRequested(Message):
        """Make the run the app's current run and show it in `mode` ("monitor" or "browse")."""

        run: RunFolder
        mode: str

    @dataclass
    class CompareRequested(Message):
        """Show the comparison of these runs (two or more; the first two are A and B)."""

        runs: list[RunFolder]

    @dataclass
    class StopRequested(Message):
        """Ask the run's trainer to checkpoint and stop."""

        run: RunFolder

    @dataclass
    class ResumeRequested(Message):
        """Start a trainer that resumes the run from its checkpoint."""

        run: RunSummary

    @dataclass
    class NotesRead(Message):
        """What `run_notes` found wrong with the files of one run."""

        run: str
        key: NotesKey
        notes: list[str]

    def __init__(self, models_dir: Path, gpu: GpuSettings) -> None:
        super().__init__()
        self._models_dir = models_dir
        self._gpu = gpu
        self._notes: dict[str, tuple[NotesKey, list[str]]] = {}
        """The notes of each run read so far, with what they were read from."""

    def compose(self) -> ComposeResult:
        yield ModeBar("runs")
        with Vertical(id="runs-body"):
            yield RunsList(self._models_dir, id="runs-list")
            yield Static(id="run-detail")
            yield self._gpu.pane()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(RunsList).focus()
        self._show_detail()

    @property
    def runs_list(self) -> RunsList:
        return self.query_one(RunsList)

    def on_screen_suspend(self) -> None:
        self.runs_list.pause_scanning()

    def on_screen_resume(self) -> None:
        self.runs_list.resume_scanning()

    def on_runs_list_runs_listed(self, message: RunsList.RunsListed) -> None:
        self._show_detail()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim keys that do nothing for the selected run (None shows them disabled)."""
        run = self.runs_list.selected if self.is_mounted else None
        if action in ("watch", "browse"):
            return (run is not None and run.queue_position is None) or None
        if action == "stop":
            return (run is not None and run.status == "running") or None
        if action == "resume":
            return (run is not None and run.status in RESUMABLE_STATUSES) or None
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_watch()

    def _show_detail(self) -> None:
        detail = self.query_one("#run-detail", Static)
        runs_list = self.runs_list
        run = runs_list.selected
        if run is None:
            where = self._models_dir
            if not runs_list.scanned:
                detail.update(f"Reading {where} ...")
            else:
                detail.update(f"No runs in {where} yet: press n (or 4) to configure and start one.")
            return
        if run.queue_position is not None:
            detail.update(queued_detail(run))
            return
        key = notes_key(run)
        notes = self._notes.get(run.name, (None, []))[1]
        if self._notes.get(run.name, (None,))[0] != key:
            self._notes[run.name] = (key, notes)  # read once per key, even while in flight
            self.check_run(run, key)
        text = Text()
        text.append(run.name, style="bold")
        text.append(f"  {run.preset or '?'} preset")
        if run.strategy:
            text.append(f", {run.strategy} x{run.replicas or '?'}")
        text.append(f"\n{run.path}")
        if run.message:
            text.append(f"\n{run.message}", style="bold red")
        hints = {
            "running": "enter: watch  s: stop (it checkpoints; r resumes later)",
            "stopped": "r: resume from its checkpoint",
            "interrupted": "r: resume from its last checkpoint",
            "failed": "enter: see the error and the end of trainer.log",
            "finished": "b: browse its predictions",
        }
        if run.status in hints:
            text.append(f"\n{hints[run.status]}", style="dim")
        if not notes:
            detail.update(text)
            return
        # One line, cut with an ellipsis when narrow (the monitor shows the notes too).
        note = Text("⚠ " + "; ".join(notes), style="yellow", no_wrap=True, overflow="ellipsis")
        detail.update(Group(text, note))

    @work(thread=True, group="notes", exit_on_error=False, description="Checking a run's files")
    def check_run(self, run: RunSummary, key: NotesKey) -> None:
        """Read what is wrong with `run`'s files (in a thread: it reads them) and post it."""
        notes = run_notes(RunFolder(run.path), run.status == "running")
        self.post_message(self.NotesRead(run.name, key, notes))

    def on_runs_screen_notes_read(self, message: NotesRead) -> None:
        known = self._notes.get(message.run)
        if known is not None and known[0] != message.key:
            return  # the run changed again since: a newer check is on its way
        self._notes[message.run] = (message.key, message.notes)
        if known != (message.key, message.notes):
            self._show_detail()

    def _selected_folder(self) -> RunFolder | None:
        run = self.runs_list.selected
        if run is None:
            self.notify("No run selected.", severity="warning")
            return None
        if run.queue_position is not None:
            self.notify(f"{run.name} is queued (number {run.queue_position}); not started yet.")
            return None
        return RunFolder(run.path)

    def action_watch(self) -> None:
        folder = self._selected_folder()
        if folder is not None:
            self.post_message(self.OpenRequested(folder, "monitor"))

    def action_browse(self) -> None:
        folder = self._selected_folder()
        if folder is not None:
            self.post_message(self.OpenRequested(folder, "browse"))

    def action_stop(self) -> None:
        folder = self._selected_folder()
        if folder is not None:
            self.post_message(self.StopRequested(folder))
            self.runs_list.rescan()

    def action_resume(self) -> None:
        run = self.runs_list.selected
        if run is None:
            self.notify("No run selected.", severity="warning")
            return
        self.post_message(self.ResumeRequested(run))

    def action_mark(self) -> None:
        self.runs_list.toggle_mark()

    def action_compare(self) -> None:
        runs = [run for run in self.runs_list.runs if run.queue_position is None]
        marked = [run for name in self.runs_list.marked for run in runs if run.name == name]
        chosen = self.runs_list.selected
        if len(marked) < 2 and chosen in runs and len(runs) >= 2:
            assert chosen is not None
            if marked and marked[0] != chosen:  # the one marked, with the run under the cursor
                marked = [marked[0], chosen]
            else:  # the run under the cursor and the one listed below it (else above it)
                index = runs.index(chosen)
                marked = [chosen, runs[index + 1 if index + 1 < len(runs) else index - 1]]
        if len(marked) < 2:
            self.notify("Mark two runs or more with space, then press c.", severity="warning")
            return
        self.post_message(self.CompareRequested([RunFolder(run.path) for run in marked]))

    def action_toggle_gpu(self) -> None:
        toggle_gpu_pane(self)
