"""What every GPU pane of the app shares, and a screen's key that shows or hides its pane."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.screen import Screen

from cifar_tui.core.host.gpu import GpuMonitor
from cifar_tui.core.host.gpu_processes import ProcessNamer
from cifar_tui.core.host.system import SystemReading, read_system
from cifar_tui.ui.common.gpu_pane import GpuPane


@dataclass(frozen=True)
class GpuSettings:
    """The NVML monitor, the interval, the CPU/RAM reader and the process namer of the app's GPU
    panes."""

    monitor: GpuMonitor | None = None
    interval: float = 1.0
    read_system: Callable[[], SystemReading] = read_system
    namer: ProcessNamer | None = None
    """Names each GPU's processes (our trainers through the models folder's locks)."""

    def pane(self) -> GpuPane:
        """A GPU pane (id "gpu") with these settings."""
        return GpuPane(
            self.monitor, self.interval, read_system=self.read_system, namer=self.namer, id="gpu"
        )


def toggle_gpu_pane(screen: Screen[Any]) -> None:
    """Show or hide the GPU pane of `screen` (the monitor shows it only on wide terminals; on a
    narrow one, showing it takes the monitor's place: cifar.tcss)."""
    hidden = not screen.query_one("#gpu").display
    screen.set_class(not hidden, "-hide-gpu")
    screen.set_class(hidden, "-show-gpu")
