"""The training monitor of the app's current run, beside the GPU pane."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen

from cifar_tui.core.rundir.runs import RunFolder
from cifar_tui.ui.common.key_footer import KeyFooter
from cifar_tui.ui.common.mode_bar import ModeBar
from cifar_tui.ui.monitor.curves_pane import CurvesPane
from cifar_tui.ui.monitor.run_monitor import RunMonitor

if TYPE_CHECKING:
    from cifar_tui.app import CifarApp


class MonitorScreen(Screen[None]):
    """Follows whichever run the app has open; switching runs restarts the tail."""

    BINDINGS = [
        Binding("s", "stop", "Stop"),
        Binding("r", "resume", "Resume"),
        Binding("v", "cycle_view", "Curves"),
        Binding("g", "toggle_gpu", "GPU"),
    ]

    app: CifarApp  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.shown: RunFolder | None = None

    def compose(self) -> ComposeResult:
        yield ModeBar("monitor")
        with Horizontal(id="monitor-body"):
            yield RunMonitor(id="monitor")
            yield self.app.make_gpu_pane()
        yield KeyFooter()

    @property
    def monitor(self) -> RunMonitor:
        return self.query_one(RunMonitor)

    def on_mount(self) -> None:
        self.watch(self.app, "current_run", lambda _run: self.sync(), init=False)

    def on_screen_resume(self) -> None:
        self.sync()

    def sync(self, force: bool = False) -> None:
        """Follow the app's current run if it is not the one shown (or `force`)."""
        run = self.app.current_run
        if force or run != self.shown:
            self.shown = run
            self.monitor.show_run(run, launching=run is not None and run.name in self.app.launched)
            problem = self.app.launch_errors.get(run.name) if run is not None else None
            if problem is not None:
                self.monitor.show_launch_error(problem)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim stop unless the run trains, and resume unless it can be resumed."""
        if not self.is_mounted or action not in ("stop", "resume"):
            return True
        status = self.monitor.status if self.shown is not None else None
        if action == "stop":
            return status == "running" or None
        return status in ("stopped", "interrupted", "failed") or None

    def action_stop(self) -> None:
        if self.shown is not None:
            self.app.stop_training(self.shown)

    def action_resume(self) -> None:
        if self.shown is not None:
            self.app.resume_training(self.shown.summary())

    def action_cycle_view(self) -> None:
        self.query_one(CurvesPane).cycle_view()

    def action_toggle_gpu(self) -> None:
        self.app.toggle_gpu(self)
