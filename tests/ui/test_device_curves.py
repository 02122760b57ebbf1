"""The monitor's device view: the trainer's GPU or CPU use per epoch, under the loss."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from run_fixtures import fake_config, fake_events, fake_predictions
from textual.pilot import Pilot
from ui_support import FINISHED, settle, wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.rundir.event_types import EpochEnded, event_from_dict
from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.naming import create_run_folder
from cifar_tui.ui.monitor.curve_figures import History, device_figure
from cifar_tui.ui.monitor.curves_pane import CurvePlot, CurvesPane

GIB = 1024**3
STARVED = "2026-11-26_0915_recipe-2018"
"""A GPU run whose input pipeline cannot keep up: utilisation low, peaks short."""
CPU_RUN = "2026-11-26_1015_quick"

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


def gpu_use(epoch: int) -> dict[str, Any]:
    """A starved GPU: 30-45 % busy on average, short peaks; epoch 4's NVML readings all failed."""
    if epoch == 4:
        return {"kind": "gpu", "gpus": [1], "samples": 30, "missing": 30}
    return {"kind": "gpu", "gpus": [1], "util_mean": 30.0 + 3 * (epoch % 5),
            "util_peak": 70.0 + 5 * (epoch % 3), "memory_mean": 30 * GIB,
            "memory_peak": 31.2 * GIB, "memory_total": 80 * GIB, "samples": 30,
            "missing": 0}  # fmt: skip


def cpu_use(epoch: int) -> dict[str, Any]:
    return {"kind": "cpu", "gpus": [], "util_mean": 80.0 + epoch, "util_peak": 95.0,
            "memory_mean": 1.1 * GIB, "memory_peak": 1.2 * GIB, "memory_total": 16 * GIB,
            "samples": 30, "missing": 0}  # fmt: skip


def write_device_run(
    models: Path, name: str, use: Callable[[int], dict[str, Any]], epochs: int = 10, seed: int = 5
) -> None:
    """A finished fake run whose epoch_ended events carry `use(epoch)` as device_use."""
    run = create_run_folder(models, name)
    run.config_path.write_text(fake_config(epochs, seed), encoding="utf-8")
    with EventWriter(run.events_path, fsync=False) as writer:
        for event in fake_events("finished", epochs, epochs, seed):
            fields = {key: value for key, value in event.items() if key != "type"}
            if event["type"] == "run_started":
                fields["device"] = "GPU" if use(1)["kind"] == "gpu" else "CPU"
            if event["type"] == "epoch_ended":
                fields["device_use"] = use(event["epoch"])
            writer.append(event["type"], **fields)
    np.savez(run.predictions_path, **fake_predictions(seed), epoch=np.int64(epochs))


@pytest.fixture
def with_device_runs(models_dir: Path) -> Path:
    write_device_run(models_dir, STARVED, gpu_use)
    write_device_run(models_dir, CPU_RUN, cpu_use, epochs=3, seed=6)
    return models_dir


def history_of(use: Callable[[int], dict[str, Any] | None], epochs: int) -> History:
    history = History()
    for epoch in range(1, epochs + 1):
        event = event_from_dict({"type": "epoch_ended", "epoch": epoch, "device_use": use(epoch)})
        assert isinstance(event, EpochEnded)
        history.add(event)
    return history


# --- the figure, as data -----------------------------------------------------------------------


def test_the_device_figure_plots_mean_and_peak_on_a_fixed_percent_axis() -> None:
    figure = device_figure(history_of(gpu_use, 5))
    assert figure.title == "GPU busy %  mem 31.2 GiB/80.0 GiB"
    assert figure.y_range == (0.0, 100.0)
    mean, peak = figure.series
    assert (mean.label, peak.label) == ("mean", "peak")
    assert mean.epochs == [1, 2, 3, 5]  # epoch 4's readings failed: a gap, not a zero
    assert mean.values == [33.0, 36.0, 39.0, 30.0]


@pytest.mark.parametrize(
    ("use", "title", "points"),
    [
        pytest.param(cpu_use, "CPU share % of its cores  RSS 1.2 GiB", [1, 2, 3], id="cpu"),
        pytest.param(lambda epoch: None, "device use", [], id="an-older-trainer"),
        pytest.param(
            lambda epoch: cpu_use(epoch) if epoch < 3 else gpu_use(epoch),
            "GPU busy %  mem 31.2 GiB/80.0 GiB", [3], id="resumed-on-a-gpu",
        ),
    ],
)  # fmt: skip
def test_the_device_figure_of(
    use: Callable[[int], dict[str, Any] | None], title: str, points: list[int]
) -> None:
    figure = device_figure(history_of(use, 3))
    assert figure.title == title
    assert (figure.series[0].epochs if figure.series else []) == points
    if not points:
        assert figure.empty_text == "no device readings in these epochs"


def test_a_resumed_epoch_replaces_its_device_readings() -> None:
    history = history_of(gpu_use, 5)
    history.truncate(2)
    assert history.util_mean == [33.0, 36.0] and history.device_kind == ["gpu", "gpu"]
    history.add(EpochEnded(epoch=3))
    assert history.util_mean == [33.0, 36.0, None] and history.device_kind[-1] is None


# --- the view in the app ---------------------------------------------------------------------


async def show_device_view(pilot: Pilot[Any]) -> CurvesPane:
    await settle(pilot)
    pane = pilot.app.screen.query_one(CurvesPane)
    while pane.view != "device":
        await pilot.press("v")
    await settle(pilot)
    return pane


async def test_v_brings_the_device_use_under_the_loss(
    app_factory: Callable[..., CifarApp], with_device_runs: Path
) -> None:
    app = app_factory(open_run=STARVED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await show_device_view(pilot)
        device = pane.query_one("#curve-device", CurvePlot)
        loss = pane.query_one("#curve-loss", CurvePlot)
        assert [plot.id for plot in pane.query(CurvePlot) if plot.display] == [
            "curve-loss", "curve-device"
        ]  # fmt: skip
        # One above the other, each the pane's width: the epochs line up.
        assert loss.region.x == device.region.x and loss.region.width == device.region.width
        assert loss.region.bottom <= device.region.y
        drawn = device.render().plain
        assert "GPU busy %" in drawn and "100" in drawn.split("┤")[0]
        await pilot.press("v")  # round to "all": the device plot hides again
        await wait_for(pilot, lambda: not device.display)
        assert pane.view == "all"


async def test_the_device_view_of_a_run_without_readings_says_so(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await show_device_view(pilot)
        assert "no device readings" in pane.query_one("#curve-device", CurvePlot).render().plain


async def test_a_live_epoch_adds_its_device_use(
    app_factory: Callable[..., CifarApp], with_device_runs: Path
) -> None:
    app = app_factory(open_run=CPU_RUN, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await show_device_view(pilot)
        event = event_from_dict({"type": "epoch_ended", "epoch": 4, "device_use": cpu_use(4)})
        assert isinstance(event, EpochEnded)
        pane.add_epoch(event)
        await wait_for(pilot, lambda: pane.epochs_plotted == 4)
        device = pane.query_one("#curve-device", CurvePlot)
        assert device.figure.series[0].values == [81.0, 82.0, 83.0, 84.0]


def test_help_lists_the_device_view_under_the_curves_key(
    app_factory: Callable[..., CifarApp],
) -> None:
    from cifar_tui.ui.monitor.monitor_screen import MonitorScreen

    (binding,) = [b for b in MonitorScreen.BINDINGS if getattr(b, "key", None) == "v"]
    assert "device" in (binding.tooltip or "")  # type: ignore[union-attr]


@pytest.mark.parametrize("size", SIZES)
class TestSnapshots:
    def test_starved_gpu(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], with_device_runs: Path,
        size: tuple[int, int],
    ) -> None:  # fmt: skip
        app = app_factory(open_run=STARVED, start_screen="monitor")
        assert snap_compare(app, terminal_size=size, run_before=show_device_view)
