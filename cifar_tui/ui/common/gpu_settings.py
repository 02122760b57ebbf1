"""What every GPU pane of the app shares, and a screen's key that shows or hides its pane."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.screen import Screen

from cifar_tui.core.host.gpu import GpuMonitor
from cifar_tui.core.host.system import SystemReading, read_system
from cifar_tui.ui.common.gpu_pane import GpuPane


@dataclass(frozen=True)
class GpuSettings:
    """The NVML monitor, the interval and the CPU/RAM reader of the app's GPU panes."""

    monitor: GpuMonitor | None = None
    interval: float = 1.0
    read_system: Callable[[], SystemReading] = read_system

    def pane(self) -> GpuPane:
        """A GPU pane (id "gpu") with these settings."""
        return GpuPane(self.monitor, self.interval, read_system=self.read_system, id="gpu")


def toggle_gpu_pane(screen: Screen[Any]) -> None:
    """Show or hide the GPU pane of `screen` (the monitor shows it only on wide terminals; on a
    narrow one, showing it takes the monitor's place: cifar.tcss)."""
    hidden = not screen.query_one("#gpu").display
    screen.set_class(not hidden, "-hide-gpu")
    screen.set_class(hidden, "-show-gpu")
