"""CifarApp: runs list, training monitor, prediction browser and config form over a models folder.

The app never imports TensorFlow: training is a separate `cifar-tui train` process that it
spawns (core/host/launcher.py) and watches through the run folder.
"""

from __future__ import annotations

import functools
import gc
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import AwaitMount

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.host import launcher, priority
from cifar_tui.core.rundir.runs import RunFolder, RunSummary, resolve_run
from cifar_tui.messages import RunFailed, RunFinished
from cifar_tui.ui.common.gpu_pane import GpuPane
from cifar_tui.ui.dialogs.help_screen import HelpScreen
from cifar_tui.ui.dialogs.quit_screen import QuitScreen

SCREENS = {
    "runs": ("cifar_tui.ui.runs.runs_screen", "RunsScreen"),
    "monitor": ("cifar_tui.ui.monitor.monitor_screen", "MonitorScreen"),
    "browse": ("cifar_tui.ui.browser.browse_screen", "BrowseScreen"),
    "config": ("cifar_tui.ui.config.config_screen", "ConfigScreen"),
}
"""Each view's screen, imported the first time the view opens: the first frame needs only one."""
START_SCREENS = tuple(SCREENS)
LAUNCH_WATCH_SECONDS = 300.0
"""How long a fresh trainer may take to write its first event (it loads CIFAR-10 first)."""


class CifarApp(App[None]):
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
    ]

    current_run: reactive[RunFolder | None] = reactive(None)
    """The run the monitor and the browser show."""

    def __init__(
        self,
        models_dir: Path,
        data_dir: str | None = None,
        open_run: RunFolder | None = None,
        start_screen: str = "runs",
        gpu_monitor: Any = None,
        read_system: Callable[[], Any] | None = None,
        gpu_interval: float = 1.0,
        freeze_heap: bool = False,
        yield_cpu: bool = False,
    ) -> None:
        super().__init__()
        self._freeze_heap = freeze_heap
        self._yield_cpu = yield_cpu
        self.models_dir = Path(models_dir)
        self.data_dir = data_dir
        self.gpu_monitor = gpu_monitor
        self._gpu_options: dict[str, Any] = {"monitor": gpu_monitor, "interval": gpu_interval}
        if read_system is not None:
            self._gpu_options["read_system"] = read_system
        self.start_screen = start_screen
        self.launched: dict[str, launcher.LaunchedRun] = {}
        """Trainers this app started, by run name."""
        self.launch_errors: dict[str, str] = {}
        """Why a trainer this app started died before writing its first event, by run name."""
        self.set_reactive(CifarApp.current_run, open_run)
        self._switching_to_built_view = False
        for mode, (module, name) in SCREENS.items():
            self.add_mode(mode, functools.partial(_new_screen, module, name))

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
        if not self._screen_stacks.get(mode) or mode == self.current_mode:
            return super().switch_mode(mode)
        self._begin_batch()  # what would be painted during the switch is dropped, as in Textual
        ended = False

        def end_pause() -> None:
            nonlocal ended
            if not ended:
                ended = True
                self._end_batch()
                if not self._batch_count:
                    self.screen.refresh()  # paints what was dropped

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

    def make_gpu_pane(self) -> GpuPane:
        """A GPU pane with the app's NVML monitor, interval and CPU/RAM reader."""
        return GpuPane(**self._gpu_options, id="gpu")

    def toggle_gpu(self, screen: Screen[Any]) -> None:
        """Show or hide the GPU pane of `screen` (the monitor shows it only on wide terminals;
        on a narrow one, showing it takes the monitor's place)."""
        hidden = not screen.query_one("#gpu").display
        screen.set_class(not hidden, "-hide-gpu")
        screen.set_class(hidden, "-show-gpu")

    # --- starting and stopping trainers ----------------------------------------------------

    def start_training(
        self, config: TrainConfig, name: str | None, data_dir: str | None
    ) -> launcher.LaunchedRun | None:
        """Spawn a trainer for `config` and open its monitor; None if it could not start."""
        try:
            launched = launcher.spawn_training(config, self.models_dir, data_dir, name)
        except OSError as error:
            self.notify(f"Could not start the trainer: {error}", severity="error")
            return None
        self._watch_launch(launched)
        return launched

    def resume_training(self, run: RunSummary) -> None:
        """Spawn `cifar-tui train --resume` for a stopped, interrupted or failed run."""
        if run.status in ("running", "finished", "created"):
            reason = {
                "running": "it is still training",
                "finished": f"it finished; train it further with `cifar-tui train --resume "
                f"{run.name} --epochs N`",
                "created": "it has no checkpoint yet",
            }[run.status]
            self.notify(f"Cannot resume {run.name}: {reason}.", severity="warning")
            return
        try:
            launched = launcher.spawn_resume(run.name, self.models_dir, self.data_dir)
        except OSError as error:
            self.notify(f"Could not resume {run.name}: {error}", severity="error")
            return
        self.notify(f"Resuming {run.name} (pid {launched.pid}).")
        self._watch_launch(launched)

    def _watch_launch(self, launched: launcher.LaunchedRun) -> None:
        self.launched[launched.name] = launched
        self.launch_errors.pop(launched.name, None)
        self.open_run(RunFolder(launched.path), "monitor")
        from cifar_tui.ui.monitor.monitor_screen import MonitorScreen

        monitor = self.get_screen_if_present("monitor")
        if isinstance(monitor, MonitorScreen) and monitor.is_mounted:
            monitor.sync(force=True)
        self.check_launch(launched)

    @work(thread=True, group="launch", exit_on_error=False, description="Watching a launch")
    def check_launch(self, launched: launcher.LaunchedRun) -> None:
        """Report a trainer that dies before writing its first event."""
        problem = launcher.check_launch(launched, timeout=LAUNCH_WATCH_SECONDS, poll=0.2)
        if problem is not None:
            self.call_from_thread(self._launch_failed, launched.name, problem)

    def _launch_failed(self, name: str, problem: str) -> None:
        self.launch_errors[name] = problem
        self.notify(f"{name}: {problem}", severity="error", timeout=10)
        from cifar_tui.ui.monitor.monitor_screen import MonitorScreen

        monitor = self.get_screen_if_present("monitor")
        if isinstance(monitor, MonitorScreen) and monitor.shown and monitor.shown.name == name:
            monitor.monitor.show_launch_error(problem)

    def get_screen_if_present(self, mode: str) -> Screen[Any] | None:
        """The base screen of `mode` if that view has been opened."""
        stack = self._screen_stacks.get(mode)
        return stack[0] if stack else None

    def stop_training(self, run: RunFolder) -> None:
        """Ask the run's trainer to checkpoint and stop."""
        if launcher.stop_run(run):
            self.notify(f"Asked {run.name} to stop; it checkpoints after the current batch.")
        else:
            self.notify(f"{run.name} is not training on this machine.", severity="warning")

    def on_run_finished(self, message: RunFinished) -> None:
        if message.live:
            self.notify(f"{message.run} finished.")

    def on_run_failed(self, message: RunFailed) -> None:
        if message.live:
            self.notify(f"{message.run} failed: {message.event.get('message')}", severity="error")

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
        running = launcher.running_here(self.models_dir, self.launched)
        self.call_from_thread(self._confirm_quit, running)

    def _confirm_quit(self, running: list[str]) -> None:
        if not running:
            self.exit()
            return
        if isinstance(self.screen, QuitScreen):
            return

        def chosen(choice: str | None) -> None:
            if choice == "stop":
                launcher.stop_runs(running, self.models_dir, self.launched)
            if choice in ("stop", "leave"):
                self.exit()

        self.push_screen(QuitScreen(running), chosen)


def _new_screen(module: str, name: str) -> Screen[Any]:
    screen: Screen[Any] = getattr(importlib.import_module(module), name)()
    return screen


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
    return CifarApp(
        Path(models_dir),
        data_dir,
        run,
        start_screen,
        gpu_monitor,
        read_system,
        gpu_interval,
        freeze_heap,
        yield_cpu,
    )


def freeze_heap() -> None:
    """Collect, then move every object left out of the garbage collector's reach for good.

    Python's full (generation 2) collections walk every tracked object; in the app they came every
    ~10 s and stalled it 60-100 ms, the slowest key presses in bench/app_latency.py. What exists
    once the first view is up (Textual, Rich, the modules, the view) lives as long as the app;
    frozen, it is out of their walk, and they take 20-65 ms. They cannot be avoided: Textual
    leaves cyclic garbage on every restyle (a throwaway DOMNode per component class).
    """
    gc.collect()
    gc.freeze()
