"""What UI tests share besides fixtures: fixture run names, fixed readings, waiting helpers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fake_nvml import FakeNvml, NVMLError_LibraryNotFound
from textual.pilot import Pilot
from textual.widgets import Input

from cifar_tui.core.host.gpu import GpuMonitor
from cifar_tui.core.host.system import SystemReading

FINISHED = "2026-11-25_1915_recipe-2018"
STOPPED = "2026-11-25_2015_fast"
FAILED = "2026-11-25_2115_quick"
INTERRUPTED = "2026-11-25_2215_recipe-2018"
RUNNING = "2026-11-25_2315_recipe-2018"

FIXED_SYSTEM = SystemReading(
    cpu_percent=42.0,
    per_cpu_percent=(40.0, 44.0),
    ram_used_bytes=6 * 1024**3,
    ram_total_bytes=16 * 1024**3,
    load_average=(1.5, 1.2, 0.9),
)


def quiet_gpu() -> GpuMonitor:
    """A GPU monitor whose NVML is missing: the same one line on every machine."""
    return GpuMonitor(nvml_module=FakeNvml(init_error=NVMLError_LibraryNotFound()))


async def wait_for(pilot: Pilot[Any], ready: Callable[[], bool], timeout: float = 5.0) -> None:
    """Pause until `ready()` (workers post their results asynchronously)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError("the app did not get ready in time")
        await pilot.pause(0.05)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for what the current screen loads in workers, so a screenshot is deterministic."""
    from cifar_tui.ui.common.gpu_pane import GpuPane
    from cifar_tui.ui.config.device_hint import DeviceHint
    from cifar_tui.ui.monitor.curves_pane import CurvesPane
    from cifar_tui.ui.monitor.run_monitor import RunMonitor
    from cifar_tui.ui.runs.runs_list import RunsList

    screen = pilot.app.screen
    await wait_for(pilot, lambda: all(pane.status is not None for pane in screen.query(GpuPane)))
    await wait_for(pilot, lambda: all(hint.status is not None for hint in screen.query(DeviceHint)))
    await wait_for(pilot, lambda: all(runs.scanned for runs in screen.query(RunsList)))
    for monitor in screen.query(RunMonitor):
        await wait_for(pilot, lambda m=monitor: m.run is None or m.loaded)
    for curves in screen.query(CurvesPane):
        await wait_for(pilot, lambda c=curves: c.settled)
    for field in screen.query(Input):
        field.cursor_blink = False
    await until_screen_stable(pilot)


async def until_screen_stable(
    pilot: Pilot[Any], interval: float = 0.25, timeout: float = 10.0, still: int = 2
) -> None:
    """Pause until the screen has not changed over `still` pauses of `interval` in a row.

    Layout that follows a resize (grid cells mounted after a refresh, then filled) lands over a few
    frames, later on a loaded machine; a snapshot taken before it settles is flaky. One quiet
    interval was not enough on CI's machine once (a monitor snapshot differed), so it takes two.
    """
    deadline = time.monotonic() + timeout
    previous = pilot.app.export_screenshot()
    unchanged = 0
    while time.monotonic() < deadline:
        await pilot.pause(interval)
        current = pilot.app.export_screenshot()
        unchanged = unchanged + 1 if current == previous else 0
        if unchanged >= still:
            return
        previous = current
    raise AssertionError("the screen kept changing")
