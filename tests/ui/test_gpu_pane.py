"""GpuPane: NVML absent, fake GPUs (one without power readings), CPU/RAM, history, snapshots."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest
from fake_nvml import GIB, FakeNvml, NVMLError_LibraryNotFound
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Static

from cifar_tui.core.host.gpu import GpuMonitor
from cifar_tui.core.host.system import SystemReading
from cifar_tui.ui.common.gpu_pane import GpuPane

CPU_LOADS = (12.0, 35.5, 80.0, 55.0, 97.0, 20.0, 64.0, 41.0)
"""A CPU that gets busy and idles again: the sparkline shows the shape."""


@pytest.fixture(autouse=True)
def truecolor_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)


def fixed_system(cores: int = 4) -> Callable[[], SystemReading]:
    """Deterministic CPU/RAM readings, cycling through CPU_LOADS."""
    loads: Iterator[float] = itertools.cycle(CPU_LOADS)

    def read() -> SystemReading:
        load = next(loads)
        per_core = tuple((load + 23.0 * core) % 100 for core in range(cores))
        return SystemReading(load, per_core, int(5.5 * GIB), 16 * GIB, (1.25, 0.8, 0.5))

    return read


def two_gpus() -> FakeNvml:
    """Two cards; the second reports no power figures (as many consumer cards do)."""
    nvml = FakeNvml.with_gpus(2)
    nvml.gpus[1].unsupported = {"power", "power_limit"}
    return nvml


def no_nvml() -> FakeNvml:
    return FakeNvml(init_error=NVMLError_LibraryNotFound())


class PaneApp(App[None]):
    """A main area and a ~40-column side column holding the pane, as the app shell lays it out."""

    CSS = """
    #main { width: 1fr; }
    GpuPane { width: 42; border-left: vkey $foreground 30%; }
    """

    def __init__(self, nvml: FakeNvml, interval: float = 3600.0, cores: int = 4) -> None:
        super().__init__()
        self.monitor = GpuMonitor(nvml_module=nvml)
        self._interval = interval
        self._cores = cores

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("main area", id="main")
            yield GpuPane(self.monitor, self._interval, read_system=fixed_system(self._cores))


async def first_reading(pilot: Pilot) -> GpuPane:
    pane = pilot.app.query_one(GpuPane)
    for _ in range(100):
        if pane.status is not None:
            return pane
        await pilot.pause(0.02)
    raise AssertionError("GpuPane took no reading")


async def test_without_nvml_says_why_and_still_shows_cpu_and_ram() -> None:
    app = PaneApp(no_nvml())
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await first_reading(pilot)
        text = pane.render().plain
        assert text.startswith("no NVIDIA GPU: NVML library not found")
        assert "CPU" in text and "RAM" in text and "5.5/16.0 GiB" in text
        assert "GPU0" not in text


async def test_two_gpus_show_name_utilisation_memory_temperature_and_power() -> None:
    app = PaneApp(two_gpus())
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await first_reading(pilot)
        lines = pane.render().plain.splitlines()
        assert lines[0] == "GPU0 Fake GPU 0"
        assert lines[1].startswith("util  10% ") and lines[2].startswith("mem   38% ")
        assert "30.0/80.0 GiB  61°C  350/700 W" in lines[3]
        assert lines[4] == "GPU1 Fake GPU 1"
        assert "power n/a" in lines[7] and "61°C" in lines[7]
        assert lines[8].startswith("CPU   12% ")
        assert lines[9].startswith("4 cores")
        assert all(len(line) <= pane.content_size.width for line in lines)


async def test_the_timers_readings_build_the_history() -> None:
    """Each reading the worker takes reaches the sparkline once: 10% first, then 95%."""
    nvml = two_gpus()
    read = fixed_system()
    calls = 0

    def counted() -> SystemReading:
        nonlocal calls
        calls += 1
        return read()

    class CountingApp(PaneApp):
        def compose(self) -> ComposeResult:
            yield GpuPane(self.monitor, 0.05, read_system=counted)

    app = CountingApp(nvml)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await first_reading(pilot)
        nvml.gpus[0].utilization_percent = 95
        await pilot.pause(0.4)
        util = pane.render().plain.splitlines()[1]
        bars = util.removeprefix("util  95% ").lstrip()
        assert util.startswith("util  95% ") and bars[0] == "▂" and bars[-1] == "█"
        # The last reading taken may still be on its way to the UI thread.
        assert calls - 1 <= len(bars) <= calls


async def test_a_reading_repaints_only_the_rows_it_fills(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In the monitor the pane is as tall as the screen: a new reading repaints the rows of its
    text, across the pane's whole width (padding included: a region one column short left the
    last one stale), not the blank rest, and asks for no layout (the pane's lines stay the same)."""
    app = PaneApp(two_gpus())
    async with app.run_test(size=(120, 40)) as pilot:
        pane = await first_reading(pilot)
        pane.styles.height = 30
        await pilot.pause()
        refreshes: list[tuple[tuple[Region, ...], dict[str, bool]]] = []
        refresh = pane.refresh
        monkeypatch.setattr(
            pane, "refresh", lambda *regions, **options: refreshes.append((regions, options))
        )
        pane.sample()
        monkeypatch.setattr(pane, "refresh", refresh)
        lines = len(pane.render().plain.splitlines())
        assert lines < pane.content_size.height and pane.gutter.left > 0
        assert refreshes == [((Region(0, 0, pane.size.width, pane.gutter.top + lines),), {})]


async def test_many_gpus_in_a_short_pane_take_one_line_each() -> None:
    app = PaneApp(FakeNvml.with_gpus(8))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await first_reading(pilot)
        lines = pane.render().plain.splitlines()
        assert [line.split()[0] for line in lines[:8]] == [f"GPU{i}" for i in range(8)]
        assert "80.0 GiB" in lines[0] and pane.region.height <= 24


async def test_many_cores_fold_into_lines_of_bars() -> None:
    app = PaneApp(no_nvml(), cores=64)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await first_reading(pilot)
        lines = pane.render().plain.splitlines()
        core_lines = [line for line in lines if line.startswith(("64 cores", " " * 10))]
        assert core_lines[0].startswith("64 cores") and len(core_lines) >= 2


async def test_a_failing_reading_does_not_stop_polling() -> None:
    calls = 0
    read = fixed_system()

    def flaky() -> SystemReading:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("psutil hiccup")
        return read()

    class FlakyApp(PaneApp):
        def compose(self) -> ComposeResult:
            yield GpuPane(self.monitor, 0.05, read_system=flaky)

    app = FlakyApp(two_gpus())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        assert app.query_one(GpuPane).status is not None and calls > 2


def sampled(times: int, nvml: FakeNvml | None = None) -> Callable[[Pilot], object]:
    """run_before for snapshots: wait for the first poll, then take `times` fixed readings.

    With `nvml`, its first card ramps up (a training run starting) and the second idles along.
    """

    async def run_before(pilot: Pilot) -> None:
        pane = await first_reading(pilot)
        for step in range(times):
            if nvml is not None:
                nvml.gpus[0].utilization_percent = min(98, 4 * step)
                nvml.gpus[0].memory_used_bytes = min(step, 12) * 5 * GIB
                nvml.gpus[1].utilization_percent = (7 * step) % 30
            pane.sample()
        await pilot.pause()

    return run_before


class TestSnapshots:
    """The pane beside a main area, with deterministic readings (no timer fires meanwhile)."""

    @pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
    def test_two_gpus(self, snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
        nvml = two_gpus()
        assert snap_compare(PaneApp(nvml), terminal_size=size, run_before=sampled(24, nvml))

    @pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
    def test_no_nvml(self, snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
        assert snap_compare(PaneApp(no_nvml()), terminal_size=size, run_before=sampled(24))


async def test_no_color_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = PaneApp(two_gpus())
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await first_reading(pilot)
        assert app.no_color and "GPU0" in pane.render().plain
        app.export_screenshot()  # every line goes through Textual's monochrome filter
