"""The training monitor of the app's current run, beside the GPU pane."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen

from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.status import RESUMABLE_STATUSES
from cifar_tui.core.rundir.summary import RunSummary, summarize_run
from cifar_tui.ui.common.gpu_settings import GpuSettings, toggle_gpu_pane
from cifar_tui.ui.common.key_footer import KeyFooter
from cifar_tui.ui.common.mode_bar import ModeBar
from cifar_tui.ui.monitor.curves_pane import CurvesPane
from cifar_tui.ui.monitor.run_monitor import RunMonitor
from cifar_tui.ui.trainers import Launches

CURVES_HELP = (
    "Curves: all, loss, accuracy, learning rate, then the device view: the trainer's GPU "
    "(or CPU) busy % per epoch, mean and peak, under the loss"
)

ROBUSTNESS_HELP = "Robustness: accuracy on corrupted test images (evaluate --corruptions)"


class MonitorScreen(Screen[None]):
    """Follows whichever run the app has open; switching runs restarts the tail.

    It watches the app's `current_run` and `launches`; stop and resume are requests to the app.
    """

    BINDINGS = [
        Binding("s", "stop", "Stop"),
        Binding("r", "resume", "Resume"),
        Binding("v", "cycle_view", "Curves", tooltip=CURVES_HELP),
        Binding("g", "toggle_gpu", "GPU"),
        Binding("c", "robustness", "Robust", show=False, tooltip=ROBUSTNESS_HELP),
    ]

    @dataclass
    class StopRequested(Message):
        """Ask the run's trainer to checkpoint and stop."""

        run: RunFolder

    @dataclass
    class ResumeRequested(Message):
        """Start a trainer that resumes the run from its checkpoint."""

        run: RunSummary

    @dataclass
    class RobustnessRequested(Message):
        """Show the run's accuracy on corrupted test images (its corruptions.json)."""

        run: RunFolder

    def __init__(self, gpu: GpuSettings) -> None:
        super().__init__()
        self._gpu = gpu
        self.shown: RunFolder | None = None
        self._run: RunFolder | None = None
        """The app's current run."""
        self._launches: Launches = {}
        """The app's launches."""

    def compose(self) -> ComposeResult:
        yield ModeBar("monitor")
        with Horizontal(id="monitor-body"):
            yield RunMonitor(id="monitor")
            yield self._gpu.pane()
        yield KeyFooter()

    @property
    def monitor(self) -> RunMonitor:
        return self.query_one(RunMonitor)

    def on_mount(self) -> None:
        # At mount each watcher is called once with old == new: it only takes the value.
        self.watch(self.app, "launches", self._launches_changed)
        self.watch(self.app, "current_run", self._run_changed)

    def _run_changed(self, old: RunFolder | None, run: RunFolder | None) -> None:
        self._run = run
        if old != run:
            self.sync()

    def _launches_changed(self, old: Launches, new: Launches) -> None:
        self._launches = new
        if self.shown is None:
            return
        before, now = old.get(self.shown.name), new.get(self.shown.name)
        if now is None or now == before:
            return
        if before is None or now.number != before.number:
            self.sync(force=True)  # a new trainer for the run shown: follow it from its start
        elif now.error is not None:
            self.monitor.show_launch_error(now.error)

    def on_screen_resume(self) -> None:
        self.sync()

    def sync(self, force: bool = False) -> None:
        """Follow the app's current run if it is not the one shown (or `force`)."""
        run = self._run
        if force or run != self.shown:
            self.shown = run
            launch = self._launches.get(run.name) if run is not None else None
            self.monitor.show_run(run, launching=launch is not None)
            if launch is not None and launch.error is not None:
                self.monitor.show_launch_error(launch.error)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Dim stop unless the run trains, and resume unless it can be resumed."""
        if not self.is_mounted or action not in ("stop", "resume"):
            return True
        status = self.monitor.status if self.shown is not None else None
        if action == "stop":
            return status == "running" or None
        return status in RESUMABLE_STATUSES or None

    def action_stop(self) -> None:
        if self.shown is not None:
            self.post_message(self.StopRequested(self.shown))

    def action_resume(self) -> None:
        if self.shown is not None:
            self.post_message(self.ResumeRequested(summarize_run(self.shown)))

    def action_cycle_view(self) -> None:
        self.query_one(CurvesPane).cycle_view()

    def action_toggle_gpu(self) -> None:
        toggle_gpu_pane(self)

    def action_robustness(self) -> None:
        if self.shown is not None:
            self.post_message(self.RobustnessRequested(self.shown))
