"""CifarApp: runs list, training monitor, prediction browser and config form over a models folder.

The app never imports TensorFlow: training is a separate `cifar-tui train` process that it
spawns (ui/trainers.py over core/host/launcher.py) and watches through the run folder.

Screens never call the app: they post requests (RunsScreen.OpenRequested, StopRequested,
ResumeRequested; MonitorScreen.StopRequested, ResumeRequested; ConfigScreen.StartRequested,
QueueRequested) that the app's `on_...` handlers serve; they watch `current_run`, `launches`.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.widget import AwaitMount

from cifar_tui.core.host import priority
from cifar_tui.core.host.gpu_processes import ProcessNamer
from cifar_tui.core.host.launcher import LaunchedRun
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.listing import resolve_run
from cifar_tui.core.rundir.summary import RunSummary
from cifar_tui.ui.common.gpu_settings import GpuSettings
from cifar_tui.ui.common.screenshot import ScreenshotKey
from cifar_tui.ui.common.textual_internals import hold_painting, mode_is_built
from cifar_tui.ui.compare.compare_handlers import CompareHandlers, RobustnessHandlers
from cifar_tui.ui.config.queueing import queue_runs
from cifar_tui.ui.dialogs.help_screen import HelpScreen
from cifar_tui.ui.dialogs.quit_screen import QuitScreen
from cifar_tui.ui.monitor.tail_messages import RunFailed, RunFinished
from cifar_tui.ui.trainers import Launches, Trainers, resume_refusal
from cifar_tui.ui.views import VIEWS

if TYPE_CHECKING:
    from cifar_tui.ui.config.config_screen import ConfigScreen
    from cifar_tui.ui.monitor.monitor_screen import MonitorScreen
    from cifar_tui.ui.runs.runs_screen import RunsScreen


class CifarApp(ScreenshotKey, CompareHandlers, RobustnessHandlers, App[None]):
    """The terminal app; build it with `make_app`."""

    CSS_PATH = "cifar.tcss"
    TITLE = "cifar-tui"
    ENABLE_COMMAND_PALETTE = False
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("1,f2", "show('runs')", "Runs", show=False),
        Binding("2,f3", "show('monitor')", "Monitor", show=False),
        Binding("3,f4", "show('browse')", "Browse", show=False),
        Binding("4,f5", "show('config')", "Config", show=False),
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
        Binding("ctrl+p", "save_screenshot", "Screenshot", show=False),
    ]

    current_run: reactive[RunFolder | None] = reactive(None)
    """The run the monitor and the browser show."""
    launches: reactive[Launches] = reactive(dict)
    """What became of each trainer this app started, by run name (a new value at each change)."""

    def __init__(
        self,
        models_dir: Path,
        data_dir: str | None = None,
        open_run: RunFolder | None = None,
        start_screen: str = "runs",
        gpu: GpuSettings | None = None,
        freeze_heap: bool = False,
        yield_cpu: bool = False,
    ) -> None:
        super().__init__()
        self._freeze_heap = freeze_heap
        self._yield_cpu = yield_cpu
        self.models_dir = Path(models_dir)
        self.data_dir = data_dir
        self.gpu = gpu or GpuSettings()
        self.start_screen = start_screen
        self.trainers = Trainers(self.models_dir, data_dir)
        self.set_reactive(CifarApp.current_run, open_run)
        self._switching_to_built_view = False
        for mode, new_view in VIEWS.items():
            self.add_mode(mode, functools.partial(new_view, self.models_dir, data_dir, self.gpu))

    def on_mount(self) -> None:
        self.switch_mode(self.start_screen)
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        if self._freeze_heap:
            freeze_heap()
        if self._yield_cpu:
            priority.yield_cpu_to_training()

    def action_show(self, mode: str) -> None:
        """Switch to one of the four views."""
        self.switch_mode(mode)

    def switch_mode(self, mode: str) -> AwaitMount:
        """Textual's switch, with its pause in painting cut to what a built view needs.

        Textual stops painting for 50 ms at every switch (`delay_update`), so that a view being
        composed is not seen half built; that pause was most of the key-press-to-repaint time
        (bench/app_latency.py). Only the first visit of a view composes it: on later ones the
        painting resumes as soon as the view shown has handled its ScreenResume (restyled and
        laid out), which paints it once, whole.
        """
        if not mode_is_built(self, mode) or mode == self.current_mode:
            return super().switch_mode(mode)
        end_pause = hold_painting(self)  # what would be painted meanwhile is dropped, as in Textual
        self._switching_to_built_view = True
        try:
            mounted = super().switch_mode(mode)
        except BaseException:
            end_pause()
            raise
        finally:
            self._switching_to_built_view = False
        self.screen.call_later(end_pause)  # queued after the ScreenResume super() posted last
        self.set_timer(0.05, end_pause)  # Textual's own pause, should that never come
        return mounted

    def delay_update(self, delay: float = 0.05) -> None:
        if not self._switching_to_built_view:  # switch_mode pauses painting itself then
            super().delay_update(delay)

    def open_run(self, run: RunFolder, mode: str = "monitor") -> None:
        """Make `run` the open run and show it in `mode` ("monitor" or "browse")."""
        self.current_run = run
        self.switch_mode(mode)

    # --- what the screens ask for ------------------------------------------------------------

    def on_runs_screen_open_requested(self, message: RunsScreen.OpenRequested) -> None:
        self.open_run(message.run, message.mode)

    def on_runs_screen_stop_requested(self, message: RunsScreen.StopRequested) -> None:
        self._stop(message.run)

    def on_monitor_screen_stop_requested(self, message: MonitorScreen.StopRequested) -> None:
        self._stop(message.run)

    def on_runs_screen_resume_requested(self, message: RunsScreen.ResumeRequested) -> None:
        self._resume(message.run)

    def on_monitor_screen_resume_requested(self, message: MonitorScreen.ResumeRequested) -> None:
        self._resume(message.run)

    def on_config_screen_start_requested(self, message: ConfigScreen.StartRequested) -> None:
        try:
            launched = self.trainers.start(message.config, message.name, message.data_dir)
        except OSError as error:
            self.notify(f"Could not start the trainer: {error}", severity="error")
            return
        self._watch_launch(launched)

    def on_config_screen_queue_requested(self, message: ConfigScreen.QueueRequested) -> None:
        text, failed = queue_runs(self.models_dir, message.entries, message.data_dir)
        self.notify(text, severity="error" if failed else "information")

    def _stop(self, run: RunFolder) -> None:
        if self.trainers.stop(run):
            self.notify(f"Asked {run.name} to stop; it checkpoints after the current batch.")
        else:
            self.notify(f"{run.name} is not training on this machine.", severity="warning")

    def _resume(self, run: RunSummary) -> None:
        reason = resume_refusal(run)
        if reason is not None:
            self.notify(f"Cannot resume {run.name}: {reason}.", severity="warning")
            return
        try:
            launched = self.trainers.resume(run.name)
        except OSError as error:
            self.notify(f"Could not resume {run.name}: {error}", severity="error")
            return
        self.notify(f"Resuming {run.name} (pid {launched.pid}).")
        self._watch_launch(launched)

    def _watch_launch(self, launched: LaunchedRun) -> None:
        """Tell the screens (the monitor follows it from its start), open it, watch it start."""
        self.launches = self.trainers.launches
        self.open_run(RunFolder(launched.path), "monitor")
        self.check_launch(launched.name)

    @work(thread=True, group="launch", exit_on_error=False, description="Watching a launch")
    def check_launch(self, name: str) -> None:
        """Report a trainer that dies before writing its first event."""
        problem = self.trainers.wait_for_start(name)
        if problem is not None:
            self.call_from_thread(self._launch_failed, name, problem)

    def _launch_failed(self, name: str, problem: str) -> None:
        self.trainers.failed(name, problem)
        self.launches = self.trainers.launches
        self.notify(f"{name}: {problem}", severity="error", timeout=10)

    def on_run_finished(self, message: RunFinished) -> None:
        if message.live:
            self.notify(f"{message.run} finished.")

    def on_run_failed(self, message: RunFailed) -> None:
        if message.live:
            self.notify(f"{message.run} failed: {message.event.message}", severity="error")

    # --- help and quitting -----------------------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen | QuitScreen):
            return
        self.push_screen(HelpScreen.for_app(self))

    async def action_quit(self) -> None:
        self._quit_check()

    @work(thread=True, exclusive=True, group="quit", exit_on_error=False, description="Quit")
    def _quit_check(self) -> None:
        """Find the trainers on this machine that quitting would leave behind, then ask."""
        self.call_from_thread(self._confirm_quit, *self.trainers.left_behind())

    def _confirm_quit(self, running: list[str], queued: list[str]) -> None:
        if not running:
            self.exit()
            return
        if isinstance(self.screen, QuitScreen):
            return

        def chosen(choice: str | None) -> None:
            if choice == "stop":
                self.trainers.stop_all(running)
            if choice in ("stop", "leave"):
                self.exit()

        self.push_screen(QuitScreen(running, queued), chosen)


START_SCREENS = tuple(VIEWS)


def make_app(
    models_dir: Path,
    data_dir: str | None = None,
    open_run: str | None = None,
    start_screen: str = "runs",
    gpu_monitor: Any = None,
    read_system: Callable[[], Any] | None = None,
    gpu_interval: float = 1.0,
    freeze_heap: bool = False,
    yield_cpu: bool = False,
) -> CifarApp:
    """The app over `models_dir`: the one factory the CLI and the tests use.

    Args:
        models_dir: the runs folder (need not exist yet).
        data_dir: where CIFAR-10 is, passed on to the trainers the app starts.
        open_run: a run name or folder to open at start (UserError if there is none).
        start_screen: "runs", "monitor", "browse" or "config".
        gpu_monitor: a core.gpu.GpuMonitor for the GPU panes (tests pass one over a fake NVML).
        read_system: the GPU panes' CPU/RAM reader (tests pass fixed readings).
        gpu_interval: seconds between GPU/CPU readings.
        freeze_heap: once the first view is up, take what exists out of the garbage collector's
            walk (`freeze_heap`); for the process that runs the app, never for tests, whose
            process goes on to run other apps.
        yield_cpu: once the first view is up, run the app's threads only on CPU time training
            leaves (`priority.yield_cpu_to_training`); trainers it starts keep the ordinary
            policy. For the process that runs the app, never for tests (it is for good).

    Returns:
        The app, not yet running.
    """
    if start_screen not in START_SCREENS:
        raise ValueError(f"start_screen must be one of {START_SCREENS}, got {start_screen!r}")
    run = resolve_run(open_run, Path(models_dir)) if open_run else None
    reader = read_system or GpuSettings.read_system
    gpu = GpuSettings(gpu_monitor, gpu_interval, reader, ProcessNamer(Path(models_dir)))
    return CifarApp(Path(models_dir), data_dir, run, start_screen, gpu, freeze_heap, yield_cpu)


def freeze_heap() -> None:
    """Collect, then move every object left out of the garbage collector's reach for good.

    Python's full (generation 2) collections walk every tracked object, and made the slowest key
    presses of bench/app_latency.py (BENCHMARKS.md, "Garbage collection"). What exists once the
    first view is up (Textual, Rich, the modules, the view) lives as long as the app; frozen, it
    is out of their walk. They cannot be avoided: Textual leaves cyclic garbage on every restyle
    (a throwaway DOMNode per component class).
    """
    gc.collect()
    gc.freeze()
