"""The app's handling of the comparison's and robustness view's messages (a CifarApp mixin)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cifar_tui.ui.views import compare_view, robustness_view, versus_view

if TYPE_CHECKING:
    from cifar_tui.ui.compare.compare_screen import CompareScreen
    from cifar_tui.ui.monitor.monitor_screen import MonitorScreen
    from cifar_tui.ui.runs.runs_screen import RunsScreen


class CompareHandlers:
    """Opens the comparison of the runs marked in the runs list, and A against B's browser."""

    def on_runs_screen_compare_requested(self: Any, message: RunsScreen.CompareRequested) -> None:
        self.push_screen(compare_view(message.runs))

    def on_compare_screen_browse_requested(
        self: Any, message: CompareScreen.BrowseRequested
    ) -> None:
        self.push_screen(versus_view(message.run, message.other, self.data_dir))


class RobustnessHandlers:
    """Opens the robustness view of the monitor's run."""

    def on_monitor_screen_robustness_requested(
        self: Any, message: MonitorScreen.RobustnessRequested
    ) -> None:
        self.push_screen(robustness_view(message.run))
