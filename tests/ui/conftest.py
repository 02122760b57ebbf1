"""Shared UI fixtures: a runs folder of fake runs, a fixed clock/timezone, and the app factory."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_nvml import FakeNvml, NVMLError_LibraryNotFound
from run_fixtures import write_run
from textual.pilot import Pilot
from textual.widgets import Input

from cifar_tui.app import CifarApp, make_app
from cifar_tui.core.gpu import GpuMonitor, SystemReading

FINISHED = "2026-11-25_1915_recipe-2018"
STOPPED = "2026-11-25_2015_fast"
FAILED = "2026-11-25_2115_quick"
INTERRUPTED = "2026-11-25_2215_recipe-2018"
RUNNING = "2026-11-25_2315_recipe-2018"

FIXED_SYSTEM = SystemReading(
    cpu_percent=42.0,
    per_cpu_percent=(40.0, 44.0),
    cpu_count=2,
    ram_used_bytes=6 * 1024**3,
    ram_total_bytes=16 * 1024**3,
    load_average=(1.5, 1.2, 0.9),
)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC, so the runs list's dates are the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`models/` (relative, so paths on screen do not depend on tmp_path) with four ended runs."""
    monkeypatch.chdir(tmp_path)
    models = Path("models")
    write_run(models, FINISHED, "finished", 10, 10, seed=0)
    write_run(models, STOPPED, "stopped", 4, 15, seed=1)
    failed = write_run(models, FAILED, "failed", 2, 3, seed=2)
    failed.log_path.write_text(
        "Epoch 3/3\n2026-11-25 21:16:00 W allocator: ran out of memory trying to allocate 2.1GiB\n"
        "ResourceExhaustedError: OOM when allocating tensor\n"
    )
    write_run(models, INTERRUPTED, "interrupted", 3, 10, seed=3)
    return models


@pytest.fixture
def with_running(models_dir: Path) -> Path:
    """models_dir plus a run whose lock names this test process (so it reads as running).

    Anything that would signal it must be monkeypatched: its "trainer" is pytest itself.
    """
    write_run(models_dir, RUNNING, "running", 5, 10, seed=4)
    return models_dir


def quiet_gpu() -> GpuMonitor:
    """A GPU monitor whose NVML is missing: the same one line on every machine."""
    return GpuMonitor(nvml_module=FakeNvml(init_error=NVMLError_LibraryNotFound()))


@pytest.fixture
def app_factory(models_dir: Path) -> Callable[..., CifarApp]:
    """make_app over models_dir with deterministic GPU/CPU readings (read once, at mount)."""

    def build(**options: Any) -> CifarApp:
        settings: dict[str, Any] = {
            "models_dir": models_dir,
            "gpu_monitor": quiet_gpu(),
            "read_system": lambda: FIXED_SYSTEM,
            "gpu_interval": 3600.0,
        }
        return make_app(**{**settings, **options})

    return build


async def wait_for(pilot: Pilot[Any], ready: Callable[[], bool], timeout: float = 5.0) -> None:
    """Pause until `ready()` (workers post their results asynchronously)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError("the app did not get ready in time")
        await pilot.pause(0.05)


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for what the current screen loads in workers, so a screenshot is deterministic."""
    from cifar_tui.ui.widgets.curves_pane import CurvesPane
    from cifar_tui.ui.widgets.gpu_pane import GpuPane
    from cifar_tui.ui.widgets.run_monitor import RunMonitor
    from cifar_tui.ui.widgets.runs_list import RunsList

    screen = pilot.app.screen
    await wait_for(pilot, lambda: all(pane.status is not None for pane in screen.query(GpuPane)))
    await wait_for(pilot, lambda: all(runs.scanned for runs in screen.query(RunsList)))
    for monitor in screen.query(RunMonitor):
        await wait_for(pilot, lambda m=monitor: m.run is None or m.loaded)
    for curves in screen.query(CurvesPane):
        await wait_for(pilot, lambda c=curves: c.settled)
    for field in screen.query(Input):
        field.cursor_blink = False
    await pilot.pause(0.1)
