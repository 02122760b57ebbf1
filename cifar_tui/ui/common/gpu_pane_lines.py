"""The GPU pane's text: GPU, CPU and RAM readings and their short histories drawn as Rich lines.

No Textual: plain functions of the readings, their history, a width and the pane's styles, so
tables can test what the pane shows and how many lines it takes. GpuPane (gpu_pane.py) takes the
readings, keeps the history and displays these lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.style import Style
from rich.text import Text

from cifar_tui.core.host.gpu import GpuReading, GpuStatus
from cifar_tui.core.host.system import SystemReading
from cifar_tui.ui.common.formatting import History, format_bytes, sparkline
from cifar_tui.ui.common.gpu_process_lines import Labels, process_count, process_lines

LABEL_WIDTH = 10
"""Columns before a sparkline: "util  87% "."""
FULL_LINES_PER_GPU = 4
"""Name, utilisation, memory, and a line of memory/temperature/power figures."""


@dataclass(frozen=True)
class PaneStyles:
    """The pane's component styles (gpu-pane--title, --spark, --muted, --warning)."""

    title: Style = field(default_factory=Style.null)
    spark: Style = field(default_factory=Style.null)
    muted: Style = field(default_factory=Style.null)
    warning: Style = field(default_factory=Style.null)


@dataclass
class GpuHistory:
    """One GPU's utilisation and memory share, oldest first."""

    utilization: History
    memory: History


class ReadingHistory:
    """The last `length` samples of every GPU, the CPU and the RAM, for their sparklines."""

    def __init__(self, length: int) -> None:
        self._length = length
        self._gpus: dict[int, GpuHistory] = {}
        self.cpu = History(length)
        self.ram = History(length)

    def record(self, status: GpuStatus, system: SystemReading) -> None:
        """Append one reading; a GPU seen for the first time starts its own history."""
        for reading in status.gpus:
            history = self.gpu(reading.index)
            history.utilization.push(reading.utilization_percent)
            history.memory.push(share(reading.memory_used_bytes, reading.memory_total_bytes))
        self.cpu.push(system.cpu_percent)
        self.ram.push(share(system.ram_used_bytes, system.ram_total_bytes))

    def gpu(self, index: int) -> GpuHistory:
        """GPU `index`'s history (empty until a reading of it is recorded)."""
        if index not in self._gpus:
            self._gpus[index] = GpuHistory(History(self._length), History(self._length))
        return self._gpus[index]


# --- figures ------------------------------------------------------------------------------------


def percent_text(value: float | None) -> str:
    """Four columns: " 87%", or "  -%" when the reading is missing."""
    return "  -%" if value is None else f"{value:3.0f}%"


def share(used: int | None, total: int | None) -> float | None:
    """`used` as a percentage of `total`; None when either is missing or the total is 0."""
    if used is None or not total:
        return None
    return 100.0 * used / total


def memory_text(used: int | None, total: int | None) -> str:
    """Used/total in the total's unit, "30.0/80.0 GiB", or "memory n/a"."""
    if used is None or total is None:
        return "memory n/a"
    # One unit for both numbers, the total's: "30.0/80.0 GiB" reads better than "30 GiB/80.0 GiB".
    total_text = format_bytes(total)
    value, unit = total_text.split(" ")
    scale = total / float(value) if float(value) else 1.0
    return f"{used / scale:.1f}/{value} {unit}"


def power_text(reading: GpuReading) -> str:
    """Draw and limit, "350/700 W"; "350 W" without a limit, or "power n/a"."""
    if reading.power_watts is None:
        return "power n/a"
    if reading.power_limit_watts is None:
        return f"{reading.power_watts:.0f} W"
    return f"{reading.power_watts:.0f}/{reading.power_limit_watts:.0f} W"


def temperature_text(reading: GpuReading) -> str:
    """Like "61°C", or "-°C"."""
    return "-°C" if reading.temperature_c is None else f"{reading.temperature_c:.0f}°C"


# --- how many lines -----------------------------------------------------------------------------


def system_height(system: SystemReading | None, width: int) -> int:
    """Lines of the CPU and RAM readout: CPU, its cores' bars, RAM and its figures."""
    if system is None:
        return 0
    cores = len(system.per_cpu_percent)
    core_lines = -(-cores // max(1, width - LABEL_WIDTH)) if cores > 1 else 0
    return 1 + core_lines + 2


def full_height(
    status: GpuStatus | None,
    system: SystemReading | None,
    width: int,
    console: Console,
    labels: Labels | None = None,
) -> int:
    """Lines with four per GPU and one per process on it; `console` measures how the reason for
    no GPU wraps."""
    gpus = status.gpus if status else ()
    reason = status.unavailable_reason if status else None
    lines = FULL_LINES_PER_GPU * len(gpus) if gpus else 1
    lines += sum(process_count(labels, gpu.index) for gpu in gpus)
    if reason:  # the reason wraps at word boundaries
        lines += len(Text(reason).wrap(console, max(width, 1))) - 1
    return lines + system_height(system, width)


def is_compact(
    status: GpuStatus | None,
    system: SystemReading | None,
    width: int,
    height: int,
    console: Console,
    labels: Labels | None = None,
) -> bool:
    """One line per GPU when four each (and their processes) do not fit the `height` given."""
    has_gpus = bool(status and status.gpus)
    return has_gpus and full_height(status, system, width, console, labels) > height


def content_lines(
    status: GpuStatus | None,
    system: SystemReading | None,
    width: int,
    height: int,
    console: Console,
    labels: Labels | None = None,
) -> int:
    """Lines of text the pane shows, `height` being the room it has."""
    if status is None and system is None:
        return 1
    if is_compact(status, system, width, height, console, labels):
        gpus = len(status.gpus) if status else 0
        return gpus + system_height(system, width)
    return full_height(status, system, width, console, labels)


# --- the lines ----------------------------------------------------------------------------------


def spark_line(
    label: str, value: float | None, values: list[float], width: int, spark: Style
) -> Text:
    """A label, a percentage ("util  87% ") and its sparkline filling the rest of `width`."""
    line = Text(f"{label:<5}{percent_text(value)} ", no_wrap=True, overflow="crop")
    line.append(sparkline(values, width - LABEL_WIDTH, high=100.0), spark)
    return line


def figures_line(figures: str, width: int, style: Style) -> Text:
    """Figures under a sparkline, indented to its start when they fit."""
    indent = " " * LABEL_WIDTH if len(figures) + LABEL_WIDTH <= width else ""
    return Text(indent + figures, style, no_wrap=True, overflow="ellipsis")


def gpu_lines(
    reading: GpuReading, history: GpuHistory, width: int, styles: PaneStyles
) -> list[Text]:
    """A GPU's four lines: name, utilisation, memory share, then memory/temperature/power."""
    memory_share = share(reading.memory_used_bytes, reading.memory_total_bytes)
    title = Text(f"GPU{reading.index} ", styles.title, no_wrap=True, overflow="ellipsis")
    title.append(reading.name, styles.title)
    figures = "  ".join(
        (memory_text(reading.memory_used_bytes, reading.memory_total_bytes),
         temperature_text(reading), power_text(reading))
    )  # fmt: skip
    return [
        title,
        spark_line(
            "util", reading.utilization_percent, history.utilization.values(), width, styles.spark
        ),
        spark_line("mem", memory_share, history.memory.values(), width, styles.spark),
        figures_line(figures, width, styles.muted),
    ]


def compact_gpu_line(
    reading: GpuReading, history: GpuHistory, width: int, styles: PaneStyles
) -> Text:
    """A GPU in one line: index, utilisation and its sparkline, memory, temperature."""
    line = Text(f"GPU{reading.index} ", styles.title, no_wrap=True, overflow="crop")
    line.append(f"{percent_text(reading.utilization_percent)} ")
    memory = memory_text(reading.memory_used_bytes, reading.memory_total_bytes)
    tail = f" {memory} {temperature_text(reading)}"
    spark_width = max(0, width - len(line) - len(tail))
    line.append(sparkline(history.utilization.values(), spark_width, high=100.0), styles.spark)
    line.append(tail, styles.muted)
    return line


def system_lines(
    system: SystemReading, history: ReadingHistory, width: int, styles: PaneStyles
) -> list[Text]:
    """CPU and its history, a bar per core, RAM and its history, then RAM and load figures."""
    lines = [spark_line("CPU", system.cpu_percent, history.cpu.values(), width, styles.spark)]
    cores = system.per_cpu_percent
    if len(cores) > 1:
        # One bar per core, current load: a 64-core box still fits in two lines.
        per_line = max(1, width - LABEL_WIDTH)
        bars = sparkline(cores, len(cores), high=100.0)
        for start in range(0, len(bars), per_line):
            label = f"{len(cores)} cores" if start == 0 else ""
            line = Text(f"{label:<{LABEL_WIDTH}}", styles.muted, no_wrap=True)
            line.append(bars[start : start + per_line], styles.spark)
            lines.append(line)
    ram_share = share(system.ram_used_bytes, system.ram_total_bytes)
    lines.append(spark_line("RAM", ram_share, history.ram.values(), width, styles.spark))
    figures = memory_text(system.ram_used_bytes, system.ram_total_bytes)
    if system.load_average is not None:
        figures += "  load " + "/".join(f"{load:.1f}" for load in system.load_average)
    lines.append(figures_line(figures, width, styles.muted))
    return lines


def pane_lines(
    status: GpuStatus | None,
    system: SystemReading | None,
    history: ReadingHistory,
    width: int,
    compact: bool,
    styles: PaneStyles,
    labels: Labels | None = None,
) -> list[Text]:
    """Every line of the pane: the GPUs and their processes (or why there are none), then the
    CPU and RAM."""
    lines: list[Text] = []
    if status is None:
        lines.append(Text("reading GPUs…", styles.muted))
    elif not status.gpus:
        lines.append(Text(status.unavailable_reason or "no NVIDIA GPU", styles.warning))
    elif compact:
        lines += [
            compact_gpu_line(gpu, history.gpu(gpu.index), width, styles) for gpu in status.gpus
        ]
    else:
        for gpu in status.gpus:
            lines += gpu_lines(gpu, history.gpu(gpu.index), width, styles)
            lines += process_lines(labels, gpu.index, styles.title, styles.muted)
    if system is not None:
        lines += system_lines(system, history, width, styles)
    return lines


def join_lines(lines: list[Text], width: int) -> Text:
    """One Text of `lines`; a no-wrap line is cut to `width` with an ellipsis, others fold."""
    text = Text(end="", no_wrap=False, overflow="fold")
    for number, line in enumerate(lines):
        if number:
            text.append("\n")
        if line.no_wrap:
            line.truncate(width, overflow="ellipsis")
        text.append_text(line)
    return text
