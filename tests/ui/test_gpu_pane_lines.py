"""The GPU pane's lines and their count: pure functions of readings, history and width."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Text

from cifar_tui.core.host.gpu import GpuReading, GpuStatus
from cifar_tui.core.host.system import SystemReading
from cifar_tui.ui.common.gpu_pane_lines import (
    PaneStyles,
    ReadingHistory,
    compact_gpu_line,
    content_lines,
    figures_line,
    gpu_lines,
    is_compact,
    join_lines,
    memory_text,
    pane_lines,
    percent_text,
    power_text,
    share,
    spark_line,
    system_height,
    system_lines,
    temperature_text,
)

GIB = 1024**3
CONSOLE = Console(width=80)
STYLES = PaneStyles()


def gpu(index: int = 0, **fields: object) -> GpuReading:
    """An 80 GiB card at 87%, 30 GiB used, 61°C, 350 of 700 W; `fields` override."""
    values: dict[str, object] = {
        "index": index,
        "name": f"GPU {'AB'[index % 2]}",
        "utilization_percent": 87.0,
        "memory_used_bytes": 30 * GIB,
        "memory_total_bytes": 80 * GIB,
        "temperature_c": 61.0,
        "power_watts": 350.0,
        "power_limit_watts": 700.0,
    }
    return GpuReading(**{**values, **fields})  # type: ignore[arg-type]


def system(
    cores: int = 4, load: tuple[float, float, float] | None = (1.25, 0.8, 0.5)
) -> SystemReading:
    return SystemReading(50.0, (100.0,) * cores, int(5.5 * GIB), 16 * GIB, load)


NO_GPU = GpuStatus((), "no NVIDIA GPU: NVIDIA driver not loaded")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, "  -%", id="missing"),
        pytest.param(0.0, "  0%", id="zero"),
        pytest.param(87.4, " 87%", id="rounds"),
        pytest.param(100.0, "100%", id="full"),
    ],
)
def test_percent_text(value: float | None, expected: str) -> None:
    assert percent_text(value) == expected


@pytest.mark.parametrize(
    ("used", "total", "expected"),
    [
        pytest.param(30, 120, 25.0, id="quarter"),
        pytest.param(None, 120, None, id="no-used"),
        pytest.param(30, None, None, id="no-total"),
        pytest.param(30, 0, None, id="zero-total"),
    ],
)
def test_share(used: int | None, total: int | None, expected: float | None) -> None:
    assert share(used, total) == expected


@pytest.mark.parametrize(
    ("used", "total", "expected"),
    [
        pytest.param(30 * GIB, 80 * GIB, "30.0/80.0 GiB", id="gib"),
        pytest.param(512 * 1024**2, 16 * GIB, "0.5/16.0 GiB", id="used-in-totals-unit"),
        pytest.param(0, 0, "0.0/0 B", id="empty"),
        pytest.param(None, 80 * GIB, "memory n/a", id="no-used"),
        pytest.param(30 * GIB, None, "memory n/a", id="no-total"),
    ],
)
def test_memory_text(used: int | None, total: int | None, expected: str) -> None:
    assert memory_text(used, total) == expected


@pytest.mark.parametrize(
    ("reading", "power", "temperature"),
    [
        pytest.param(gpu(), "350/700 W", "61°C", id="all"),
        pytest.param(gpu(power_limit_watts=None), "350 W", "61°C", id="no-limit"),
        pytest.param(gpu(power_watts=None), "power n/a", "61°C", id="no-power"),
        pytest.param(gpu(temperature_c=None), "350/700 W", "-°C", id="no-temperature"),
    ],
)
def test_power_and_temperature_text(reading: GpuReading, power: str, temperature: str) -> None:
    assert (power_text(reading), temperature_text(reading)) == (power, temperature)


def test_history_records_each_gpu_cpu_and_ram() -> None:
    history = ReadingHistory(3)
    for utilization in [10.0, None, 20.0, 30.0, 40.0]:
        history.record(GpuStatus((gpu(utilization_percent=utilization),)), system())
    assert history.gpu(0).utilization.values() == [20.0, 30.0, 40.0]  # None is skipped
    assert history.gpu(0).memory.values() == [37.5] * 3
    assert history.cpu.values() == [50.0] * 3
    assert history.ram.values() == [pytest.approx(34.375)] * 3
    assert history.gpu(7).utilization.values() == []


@pytest.mark.parametrize(
    ("reading", "width", "expected"),
    [
        pytest.param(None, 40, 0, id="none-yet"),
        pytest.param(system(cores=1), 40, 3, id="one-core-no-bars"),
        pytest.param(system(cores=30), 40, 4, id="cores-in-one-line"),
        pytest.param(system(cores=31), 40, 5, id="cores-in-two-lines"),
        pytest.param(system(cores=64), 11, 67, id="one-bar-a-line"),
    ],
)
def test_system_height(reading: SystemReading | None, width: int, expected: int) -> None:
    assert system_height(reading, width) == expected


@pytest.mark.parametrize(
    ("status", "reading", "width", "height", "lines", "compact"),
    [
        pytest.param(None, None, 40, 24, 1, False, id="nothing-read"),
        pytest.param(None, system(), 40, 24, 5, False, id="reading-gpus"),
        pytest.param(NO_GPU, system(), 30, 24, 6, False, id="no-gpu-reason-wraps"),
        pytest.param(NO_GPU, system(), 40, 24, 5, False, id="no-gpu-reason-fits"),
        pytest.param(NO_GPU, system(), 30, 2, 6, False, id="no-gpu-never-compact"),
        pytest.param(
            GpuStatus((gpu(0), gpu(1))), system(), 40, 12, 12, False, id="full-fits-exactly"
        ),
        pytest.param(
            GpuStatus((gpu(0), gpu(1))), system(), 40, 11, 6, True, id="compact-one-row-short"
        ),
    ],
)
def test_content_lines(
    status: GpuStatus | None,
    reading: SystemReading | None,
    width: int,
    height: int,
    lines: int,
    compact: bool,
) -> None:
    assert content_lines(status, reading, width, height, CONSOLE) == lines
    assert is_compact(status, reading, width, height, CONSOLE) is compact


def test_spark_and_figures_lines() -> None:
    spark = Style(color="green")
    line = spark_line("util", 50.0, [0.0, 100.0], 14, spark)
    assert line.plain == "util  50%   ▁█"
    assert line.spans[0].style == spark
    assert figures_line("5.5/16.0 GiB", 30, STYLES.muted).plain == " " * 10 + "5.5/16.0 GiB"
    assert figures_line("5.5/16.0 GiB", 20, STYLES.muted).plain == "5.5/16.0 GiB"  # no room


def test_gpu_lines_full_and_compact() -> None:
    history = ReadingHistory(60)
    history.record(GpuStatus((gpu(utilization_percent=0.0),)), system())
    history.record(GpuStatus((gpu(),)), system())
    full = [line.plain for line in gpu_lines(gpu(), history.gpu(0), 40, STYLES)]
    assert full == [
        "GPU0 GPU A",
        "util  87% " + " " * 28 + "▁▇",
        "mem   38% " + " " * 28 + "▄▄",
        " " * 10 + "30.0/80.0 GiB  61°C  350/700 W",
    ]
    compact = compact_gpu_line(gpu(), history.gpu(0), 40, STYLES).plain
    assert compact == "GPU0  87" + "% " + " " * 9 + "▁▇ 30.0/80.0 GiB 61°C"


def test_system_lines() -> None:
    history = ReadingHistory(60)
    history.record(NO_GPU, system(cores=4))
    lines = [line.plain for line in system_lines(system(cores=4), history, 20, STYLES)]
    assert lines == [
        "CPU   50%          ▅",
        "4 cores   ████",
        "RAM   34%          ▃",
        "5.5/16.0 GiB  load 1.2/0.8/0.5",
    ]
    no_load = system_lines(system(cores=1, load=None), history, 40, STYLES)
    assert [line.plain for line in no_load][1:] == [
        "RAM   34%" + " " * 30 + "▃",
        " " * 10 + "5.5/16.0 GiB",
    ]


@pytest.mark.parametrize(
    ("status", "first"),
    [
        pytest.param(None, "reading GPUs…", id="before-the-first-reading"),
        pytest.param(NO_GPU, NO_GPU.unavailable_reason, id="why-no-gpu"),
        pytest.param(GpuStatus(()), "no NVIDIA GPU", id="no-gpu-no-reason"),
    ],
)
def test_pane_lines_without_gpus(status: GpuStatus | None, first: str) -> None:
    lines = pane_lines(status, None, ReadingHistory(60), 40, False, STYLES)
    assert [line.plain for line in lines] == [first]


def test_pane_lines_compact_takes_one_line_a_gpu() -> None:
    status = GpuStatus((gpu(0), gpu(1)))
    history = ReadingHistory(60)
    history.record(status, system())
    full = pane_lines(status, system(), history, 40, False, STYLES)
    compact = pane_lines(status, system(), history, 40, True, STYLES)
    assert len(full) == 12 and len(compact) == 6
    assert [line.plain.split()[0] for line in compact[:3]] == ["GPU0", "GPU1", "CPU"]


def test_join_lines_cuts_no_wrap_lines_and_folds_others() -> None:
    lines = [Text("a line far too long", no_wrap=True), Text("folds when too long")]
    joined = join_lines(lines, 10)
    assert joined.plain == "a line fa…\nfolds when too long"
    assert [line.plain for line in joined.wrap(CONSOLE, 10)] == [
        "a line fa…",
        "folds when",
        "too long",  # word wrap drops the space it breaks at
    ]
