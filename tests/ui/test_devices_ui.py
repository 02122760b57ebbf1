"""`devices` in the app: the form's GPU hint, the runs list's gpu column, the monitor's GPUs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fake_nvml import GIB, FakeGpu, FakeNvml
from run_fixtures import fake_events, fake_predictions
from textual.widgets import Input, Static
from ui_support import wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.host.gpu import GpuMonitor, GpuReading, GpuStatus
from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.naming import create_run_folder
from cifar_tui.core.rundir.run_gpus import RunGpu, gpus_text
from cifar_tui.ui.config.config_form import ConfigForm
from cifar_tui.ui.config.device_hint import hint_text, wrap_between
from cifar_tui.ui.monitor.run_monitor import RunMonitor
from cifar_tui.ui.monitor.run_status import RunStatus
from cifar_tui.ui.runs.runs_list import RunsList


def reading(index: int, busy: float | None, used_gib: int | None) -> GpuReading:
    used = None if used_gib is None else used_gib * GIB
    total = None if used_gib is None else 80 * GIB
    return GpuReading(index, "H100", busy, used, total, None, None, None)


TWO = GpuStatus((reading(0, 97, 70), reading(1, 3, 2)))


@pytest.mark.parametrize(
    ("status", "devices", "hint"),
    [
        (None, "auto", "reading GPUs…"),
        (GpuStatus((), "no NVIDIA GPU: NVML found 0 devices"), "auto",
         "runs train on the CPU: no NVIDIA GPU: NVML found 0 devices"),
        (TWO, "auto", "auto picks GPU1 · GPU0 10.0 GiB free 97% · GPU1 78.0 GiB free 3%"),
        (TWO, "0", "GPU0 10.0 GiB free 97% · GPU1 78.0 GiB free 3%"),
        (TWO, "cpu", "GPU0 10.0 GiB free 97% · GPU1 78.0 GiB free 3%"),
        (TWO, "1,3", "no GPU 3 here! GPU0 10.0 GiB free 97% · GPU1 78.0 GiB free 3%"),
        (TWO, "1,,", "GPU0 10.0 GiB free 97% · GPU1 78.0 GiB free 3%"),  # the form marks it
        (GpuStatus((reading(0, None, None),)), "auto", "GPU0 ? free ?"),
    ],
)  # fmt: skip
def test_hint_text(status: GpuStatus | None, devices: str, hint: str) -> None:
    assert hint_text(status, devices) == hint


@pytest.mark.parametrize(
    ("width", "lines"),
    [
        (80, ["a b · c d · e f"]),
        (15, ["a b · c d · e f"]),
        (14, ["a b · c d", "e f"]),
        (5, ["a b", "c d", "e f"]),
        (2, ["a b", "c d", "e f"]),  # a part wider than the line: the widget folds it
    ],
)  # fmt: skip
def test_the_hint_wraps_only_between_gpus(width: int, lines: list[str]) -> None:
    assert wrap_between("a b · c d · e f", width).split("\n") == lines


async def test_the_form_shows_each_gpu_beside_devices(
    app_factory: Callable[..., CifarApp],
) -> None:
    nvml = FakeNvml(
        [FakeGpu(utilization_percent=97, memory_used_bytes=70 * GIB),
         FakeGpu(utilization_percent=3, memory_used_bytes=2 * GIB)]
    )  # fmt: skip
    app = app_factory(start_screen="config", gpu_monitor=GpuMonitor(nvml_module=nvml))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query("#devices-hint")))
        hint = app.screen.query_one("#devices-hint", Static)
        await wait_for(pilot, lambda: "auto picks GPU1" in str(hint.render()))
        devices = app.screen.query_one("#field-devices", Input)
        devices.value = "1,3"
        await pilot.pause()
        assert str(hint.render()).startswith("no GPU 3 here!")
        form = app.screen.query_one(ConfigForm)
        assert [p.field for p in form.problems] == ["devices"]  # one-device with two GPUs
        assert "devices 1,3 names 2 GPUs but strategy one-device" in form.problems[0].message


async def test_eight_gpus_wrap_between_entries_in_a_narrow_form(
    app_factory: Callable[..., CifarApp],
) -> None:
    gpus = [FakeGpu(utilization_percent=90 - 10 * i, memory_used_bytes=(70 - 8 * i) * GIB)
            for i in range(8)]  # fmt: skip
    app = app_factory(start_screen="config", gpu_monitor=GpuMonitor(nvml_module=FakeNvml(gpus)))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query("#devices-hint")))
        hint = app.screen.query_one("#devices-hint", Static)
        await wait_for(pilot, lambda: "auto picks GPU7" in str(hint.content))
        lines = str(hint.content).split("\n")
        assert len(lines) == hint.size.height > 2  # all shown, none folded mid-entry
        entries = [entry for line in lines for entry in line.split(" · ")]
        assert entries[0] == "auto picks GPU7" and len(entries) == 9
        assert all(entry.startswith(f"GPU{i} ") for i, entry in enumerate(entries[1:]))


async def test_without_a_gpu_the_form_says_so(app_factory: Callable[..., CifarApp]) -> None:
    app = app_factory(start_screen="config")  # NVML missing, as on this machine
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query("#devices-hint")))
        hint = app.screen.query_one("#devices-hint", Static)
        await wait_for(pilot, lambda: "CPU" in str(hint.render()))
        assert str(hint.render()).startswith("runs train on the CPU: no NVIDIA GPU")


def _run(models_dir: Path, name: str, gpus: list[dict[str, object]] | None) -> None:
    run = create_run_folder(models_dir, name)
    run.config_path.write_text('preset = "recipe-2018"\n')
    np.savez(run.predictions_path, **fake_predictions(), epoch=np.int64(3))
    with EventWriter(run.events_path, fsync=False) as writer:
        for event in fake_events("finished", 3, 3, with_predictions=False):
            fields = {key: value for key, value in event.items() if key != "type"}
            if event["type"] == "run_started":
                fields.pop("gpus", None)
                if gpus is not None:
                    fields["gpus"] = gpus
            writer.append(event["type"], **fields)


@pytest.mark.parametrize(
    ("gpus", "text"),
    [(None, ""), ((), "cpu"), ((RunGpu(0),), "0"), ((RunGpu(1), RunGpu(3)), "1,3"),
     ((RunGpu(None),), "?")],
)  # fmt: skip
def test_gpus_text(gpus: tuple[RunGpu, ...] | None, text: str) -> None:
    assert gpus_text(gpus) == text


async def test_runs_list_and_monitor_show_the_gpus(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    h100 = {"name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-1"}
    _run(models_dir, "mirrored-pair", [{"index": 1, **h100}, {"index": 3, **h100}])
    _run(models_dir, "before-gpus", None)  # a run from before the field: nothing to say
    app = app_factory(open_run="mirrored-pair", start_screen="monitor")
    async with app.run_test(size=(80, 24)) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        status = app.screen.query_one(RunStatus)
        await wait_for(pilot, lambda: "GPU 1,3" in status.text)
        await pilot.press("1")
        runs = app.screen.query_one(RunsList)
        await wait_for(pilot, lambda: runs.scanned and len(runs.runs) == 6)
        column = [str(runs.get_cell(run.name, "gpu")) for run in runs.runs]
        names = [run.name for run in runs.runs]
        assert column[names.index("mirrored-pair")] == "1,3"
        assert column[names.index("before-gpus")] == ""
        assert column[names.index("2026-11-25_1915_recipe-2018")] == "cpu"
