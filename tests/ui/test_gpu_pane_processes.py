"""The GPU pane's process lines: our run by name, another user's process, a host pid in a
container, and a GPU that disappears and comes back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fake_nvml import GIB, FakeGpu, FakeNvml, FakeProcess
from fake_proc import HOST, add_locked_run, add_process
from rich.style import Style
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.pilot import Pilot
from textual.widgets import Static

from cifar_tui.core.host.gpu import GpuMonitor
from cifar_tui.core.host.gpu_processes import ProcessLabel, ProcessNamer
from cifar_tui.core.host.system import SystemReading
from cifar_tui.ui.common.gpu_pane import GpuPane
from cifar_tui.ui.common.gpu_process_lines import MAX_PROCESS_LINES, process_count, process_lines

SYSTEM = SystemReading(25.0, (20.0, 30.0), 4 * GIB, 16 * GIB, (0.5, 0.4, 0.3))


@pytest.fixture(autouse=True)
def truecolor_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)


def shared_server(tmp_path: Path) -> tuple[FakeNvml, ProcessNamer]:
    """GPU 0 trains our run; GPU 1 holds another user's job and a host pid this container
    cannot see; GPU 2 is idle."""
    proc, models = tmp_path / "proc", tmp_path / "models"
    add_process(proc, 4321, ["python", "-m", "cifar_tui", "train"], nspid=[4321, 12])
    add_locked_run(models, "2026-12-04_2210_recipe-2018", 12)
    add_process(proc, 5150, ["python3", "train_llm.py", "--config", "big.yaml"], uid=0)
    nvml = FakeNvml(
        [
            FakeGpu(name="NVIDIA H100 80GB HBM3", processes=[FakeProcess(4321, 3 * GIB)]),
            FakeGpu(
                name="NVIDIA H100 80GB HBM3",
                utilization_percent=99,
                memory_used_bytes=71 * GIB,
                processes=[FakeProcess(5150, 62 * GIB), FakeProcess(8888, 9 * GIB)],
            ),
            FakeGpu(name="NVIDIA H100 80GB HBM3", utilization_percent=0, memory_used_bytes=0),
        ]
    )
    return nvml, ProcessNamer(models, proc, host=lambda: HOST, container=True)


class PaneApp(App[None]):
    CSS = """
    #main { width: 1fr; }
    GpuPane { width: 56; border-left: vkey $foreground 30%; }
    """

    def __init__(self, nvml: FakeNvml, namer: ProcessNamer) -> None:
        super().__init__()
        self.monitor = GpuMonitor(nvml_module=nvml)
        self.namer = namer

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("main area", id="main")
            yield GpuPane(self.monitor, 3600.0, read_system=lambda: SYSTEM, namer=self.namer)


async def first_reading(pilot: Pilot) -> GpuPane:
    pane = pilot.app.query_one(GpuPane)
    for _ in range(100):
        if pane.status is not None:
            return pane
        await pilot.pause(0.02)
    raise AssertionError("GpuPane took no reading")


def test_process_lines_cut_after_the_first_few() -> None:
    labels = {0: tuple(ProcessLabel(pid, GIB * pid, None, "ann", "job") for pid in range(1, 7))}
    lines = process_lines(labels, 0, Style(bold=True), Style())
    assert [line.plain for line in lines] == [
        *(f"↳ {pid}.0 GiB  pid {pid} ann job" for pid in range(1, MAX_PROCESS_LINES + 1)),
        "↳ +2 more processes",
    ]
    assert process_count(labels, 0) == len(lines) and process_count(labels, 1) == 0
    unknown = {0: (ProcessLabel(5, None, "run-a"),)}
    assert [line.plain for line in process_lines(unknown, 0, Style(), Style())] == [
        "↳ ?        run run-a"
    ]


async def test_the_pane_names_our_run_and_other_processes(tmp_path: Path) -> None:
    nvml, namer = shared_server(tmp_path)
    async with PaneApp(nvml, namer).run_test(size=(120, 40)) as pilot:
        pane = await first_reading(pilot)
        await pilot.pause()  # the new lines' layout
        text = pane.render().plain
    lines = text.splitlines()
    assert lines[4] == "↳ 3.0 GiB  run 2026-12-04_2210_recipe-2018"
    assert lines[5] == "GPU1 NVIDIA H100 80GB HBM3"
    assert lines[9] == "↳ 62.0 GiB pid 5150 root python3 train_llm.py --conf…"
    assert lines[10] == "↳ 9.0 GiB  host pid 8888 (not in this container)"
    assert lines[11] == "GPU2 NVIDIA H100 80GB HBM3"


async def test_a_gpu_that_disappears_says_so_and_recovers(tmp_path: Path) -> None:
    nvml, namer = shared_server(tmp_path)
    async with PaneApp(nvml, namer).run_test(size=(120, 40)) as pilot:
        pane = await first_reading(pilot)
        nvml.gpus[0].unsupported = {"handle"}
        pane.sample()
        await pilot.pause()
        text = pane.render().plain
        assert "GPU0 GPU 0 (GPU is lost)" in text and "run 2026-12-04" not in text
        nvml.count_error = nvml.NVMLError_DriverNotLoaded()
        pane.sample()
        await pilot.pause()
        text = pane.render().plain
        assert text.startswith("no NVIDIA GPU: NVML could not count devices (Driver Not Loaded)")
        nvml.count_error, nvml.gpus[0].unsupported = None, set()
        pane.sample()
        await pilot.pause()
        assert "run 2026-12-04_2210_recipe-2018" in pane.render().plain


def sampled(pilot_times: int) -> Callable[[Pilot], object]:
    async def run_before(pilot: Pilot) -> None:
        pane = await first_reading(pilot)
        for _ in range(pilot_times):
            pane.sample()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_snapshot(snap_compare: Callable[..., bool], tmp_path: Path, size: tuple[int, int]) -> None:
    # Four lines a GPU and one a process, our run in bold; the same at 80 columns.
    nvml, namer = shared_server(tmp_path)
    assert snap_compare(PaneApp(nvml, namer), terminal_size=size, run_before=sampled(6))
