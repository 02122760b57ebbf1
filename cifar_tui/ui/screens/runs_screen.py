"""The runs list: every run in the models folder; open, browse, stop or resume one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Static

from cifar_tui.core.runs import RunFolder
from cifar_tui.messages import RunsListed
from cifar_tui.ui.widgets.key_footer import KeyFooter
from cifar_tui.ui.widgets.mode_bar import ModeBar
from cifar_tui.ui.widgets.runs_list import RunsList

if TYPE_CHECKING:
    from cifar_tui.app import CifarApp


RESUMABLE = ("stopped", "interrupted", "failed")


class RunsScreen(Screen[None]):
    """The start screen: the runs table, details of the selected run, and the GPU pane."""

    BINDINGS = [
        Binding("enter", "watch", "Watch", priority=True),
        Binding("b", "browse", "Browse"),
        Binding("s", "stop", "Stop"),
        Binding("r", "resume", "Resume"),
        Binding("n", "app.show('config')", "New"),
        Binding("g", "toggle_gpu", "GPU"),
    ]

    app: CifarApp  # type: ignore[assignment]

    def compose(self) -> ComposeResult:
        yield ModeBar("runs")
        with Vertical(id="runs-body"):
            yield RunsList(self.app.models_dir, id="runs-list")
            yield Static(id="run-detail")
            yield self.app.make_gpu_pane()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(RunsList).focus()
        self._show_detail()

    @property
    def runs_list(self) -> RunsList:
        return self.query_one(RunsList)

    def on_runs_listed(self, message: RunsListed) -> None:
        self._show_detail()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim keys that do nothing for the selected run (None shows them disabled)."""
        run = self.runs_list.selected if self.is_mounted else None
        if action in ("watch", "browse"):
            return run is not None or None
        if action == "stop":
            return (run is not None and run.status == "running") or None
        if action == "resume":
            return (run is not None and run.status in RESUMABLE) or None
        return True

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_watch()

    def _show_detail(self) -> None:
        detail = self.query_one("#run-detail", Static)
        runs_list = self.runs_list
        run = runs_list.selected
        if run is None:
            where = self.app.models_dir
            if not runs_list.scanned:
                detail.update(f"Reading {where} ...")
            else:
                detail.update(f"No runs in {where} yet: press n (or 4) to configure and start one.")
            return
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
        detail.update(text)

    def _selected_folder(self) -> RunFolder | None:
        run = self.runs_list.selected
        if run is None:
            self.notify("No run selected.", severity="warning")
            return None
        return RunFolder(run.path)

    def action_watch(self) -> None:
        folder = self._selected_folder()
        if folder is not None:
            self.app.open_run(folder, "monitor")

    def action_browse(self) -> None:
        folder = self._selected_folder()
        if folder is not None:
            self.app.open_run(folder, "browse")

    def action_stop(self) -> None:
        folder = self._selected_folder()
        if folder is not None:
            self.app.stop_training(folder)
            self.runs_list.rescan()

    def action_resume(self) -> None:
        run = self.runs_list.selected
        if run is None:
            self.notify("No run selected.", severity="warning")
            return
        self.app.resume_training(run)

    def action_toggle_gpu(self) -> None:
        self.app.toggle_gpu(self)
