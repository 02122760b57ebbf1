"""The monitor shows the trainer's warnings from `run_started` (e.g. training on the CPU beside
GPUs TensorFlow cannot see), whole, under the run's facts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from run_fixtures import fake_events, fake_predictions
from ui_support import wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.naming import create_run_folder
from cifar_tui.ui.monitor.run_monitor import RunMonitor
from cifar_tui.ui.monitor.run_status import RunStatus

WARNING = "training on the CPU: NVML sees 2 GPUs but TensorFlow sees none: pip install -e '.[gpu]'"


def _run_with_warnings(models_dir: Path, name: str, warnings: list[str] | None) -> None:
    run = create_run_folder(models_dir, name)
    run.config_path.write_text('preset = "recipe-2018"\n')
    np.savez(run.predictions_path, **fake_predictions(), epoch=np.int64(3))
    with EventWriter(run.events_path, fsync=False) as writer:
        for event in fake_events("finished", 3, 3, with_predictions=False):
            fields = {key: value for key, value in event.items() if key != "type"}
            if event["type"] == "run_started" and warnings is not None:
                fields["warnings"] = warnings
            writer.append(event["type"], **fields)


async def test_the_status_shows_a_cpu_fallback_warning_whole(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    _run_with_warnings(models_dir, "on-cpu", [WARNING])
    app = app_factory(open_run="on-cpu", start_screen="monitor")
    async with app.run_test(size=(80, 24)) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        status = app.screen.query_one(RunStatus)
        await wait_for(pilot, lambda: "⚠" in status.text)
        lines = status.text.splitlines()
        warning = [line for line in lines if line.startswith("⚠ training on the CPU")]
        assert len(warning) == 1
        wrapped = lines[lines.index(warning[0]) :]
        assert len(wrapped) > 1 and all(len(line) <= 80 for line in wrapped)
        shown = " ".join(line.strip() for line in wrapped)  # wrapped at the width, never cut
        assert shown == "⚠ " + WARNING
        await wait_for(pilot, lambda: status.size.height == len(status.text.splitlines()))
        assert status.size.height == 4  # two lines of facts, the warning in two


async def test_a_run_without_warnings_shows_none(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    _run_with_warnings(models_dir, "on-gpu", [])
    app = app_factory(open_run="on-gpu", start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        await pilot.pause()
        status = app.screen.query_one(RunStatus)
        assert "on-gpu" in status.text and "⚠" not in status.text
