"""Issue 5, the app: resizing to a tiny (40x12) or a huge terminal crashes no screen.

Kept outside tests/ui (whose owner may move it there); it needs only a fake run folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_nvml import FakeNvml, NVMLError_LibraryNotFound
from run_fixtures import write_run

from cifar_tui.app import make_app
from cifar_tui.core.host.gpu import GpuMonitor
from cifar_tui.core.host.system import SystemReading

SYSTEM = SystemReading(cpu_percent=42.0, per_cpu_percent=(40.0, 44.0),
                       ram_used_bytes=6 * 1024**3, ram_total_bytes=16 * 1024**3,
                       load_average=(1.5, 1.2, 0.9))  # fmt: skip


@pytest.mark.parametrize("screen", ["runs", "monitor", "browse", "config"])
async def test_tiny_and_huge_terminals_do_not_crash(tmp_path: Path, screen: str) -> None:
    models = tmp_path / "models"
    run = write_run(models, "r1", "failed", 2, 3, seed=2)  # a failure panel with a log tail
    run.log_path.write_text("Traceback (most recent call last):\n  ...\nDivergedError: nan\n")
    gpu = GpuMonitor(nvml_module=FakeNvml(init_error=NVMLError_LibraryNotFound()))
    app = make_app(models_dir=models, open_run="r1", start_screen=screen, gpu_monitor=gpu,
                   read_system=lambda: SYSTEM, gpu_interval=3600.0)  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        for size in [(40, 12), (300, 100), (40, 12)]:
            await pilot.resize_terminal(*size)
            for key in ("tab", "down", "right", "enter", "escape"):  # move about at that size
                await pilot.press(key)
            await pilot.pause(0.05)
        assert app.is_running  # an exception in the app would also fail run_test on exit
