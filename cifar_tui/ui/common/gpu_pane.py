"""GpuPane: every NVIDIA GPU (NVML) and the CPU and RAM (psutil), with a short history, at ~1 Hz."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import work
from textual.geometry import Region, Size
from textual.message import Message
from textual.widget import Widget

from cifar_tui.core.host.gpu import GpuMonitor, GpuReading, GpuStatus
from cifar_tui.core.host.system import SystemReading, read_system
from cifar_tui.ui.common.formatting import History, format_bytes, sparkline

LABEL_WIDTH = 10
"""Columns before a sparkline: "util  87% "."""
FULL_LINES_PER_GPU = 4
"""Name, utilisation, memory, and a line of memory/temperature/power figures."""


def _percent(value: float | None) -> str:
    return "  -%" if value is None else f"{value:3.0f}%"


def _share(used: int | None, total: int | None) -> float | None:
    if used is None or not total:
        return None
    return 100.0 * used / total


def _memory(used: int | None, total: int | None) -> str:
    if used is None or total is None:
        return "memory n/a"
    # One unit for both numbers, the total's: "30.0/80.0 GiB" reads better than "30 GiB/80.0 GiB".
    total_text = format_bytes(total)
    value, unit = total_text.split(" ")
    scale = total / float(value) if float(value) else 1.0
    return f"{used / scale:.1f}/{value} {unit}"


def _power(reading: GpuReading) -> str:
    if reading.power_watts is None:
        return "power n/a"
    if reading.power_limit_watts is None:
        return f"{reading.power_watts:.0f} W"
    return f"{reading.power_watts:.0f}/{reading.power_limit_watts:.0f} W"


def _temperature(reading: GpuReading) -> str:
    return "-°C" if reading.temperature_c is None else f"{reading.temperature_c:.0f}°C"


def _figures_line(figures: str, width: int, style: Style) -> Text:
    """Figures under a sparkline, indented to its start when they fit."""
    indent = " " * LABEL_WIDTH if len(figures) + LABEL_WIDTH <= width else ""
    return Text(indent + figures, style, no_wrap=True, overflow="ellipsis")


@dataclass
class _GpuHistory:
    utilization: History
    memory: History


class GpuPane(Widget):
    """GPU name, utilisation, memory, temperature and power per card; CPU and RAM below.

    Readings are taken in a thread worker every `interval` seconds (one at a time) and applied on
    the UI thread. Without NVML one line says "no NVIDIA GPU: <why>", and CPU/RAM still show.
    About 40 columns suit it; each GPU takes 4 lines, or 1 when the pane is short.
    """

    DEFAULT_CSS = """
    GpuPane {
        width: 1fr;
        height: auto;
        padding: 0 1;
    }
    GpuPane > .gpu-pane--title {
        text-style: bold;
    }
    GpuPane > .gpu-pane--spark {
        color: $accent;
    }
    GpuPane > .gpu-pane--muted {
        color: $foreground-muted;
    }
    GpuPane > .gpu-pane--warning {
        color: $warning;
    }
    """

    COMPONENT_CLASSES = {
        "gpu-pane--title",
        "gpu-pane--spark",
        "gpu-pane--muted",
        "gpu-pane--warning",
    }

    class Sampled(Message):
        """One reading (all GPUs, CPU and RAM) is on screen."""

        def __init__(self, status: GpuStatus, system: SystemReading) -> None:
            super().__init__()
            self.status = status
            self.system = system

    class _Read(Message):
        """A worker's reading, to apply on the UI thread (private)."""

        def __init__(self, status: GpuStatus | None, system: SystemReading | None) -> None:
            super().__init__()
            self.status = status
            self.system = system

    def __init__(
        self,
        monitor: GpuMonitor | None = None,
        interval: float = 1.0,
        *,
        read_system: Callable[[], SystemReading] = read_system,
        history: int = 60,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Args:
        monitor: the NVML reader; None opens one (in the first poll's thread) and closes it when
            the pane goes away. A monitor passed in stays open: its owner closes it.
        interval: seconds between readings.
        read_system: CPU/RAM reader (tests pass fixed readings).
        history: samples kept for each sparkline (60 at 1 Hz: the last minute).
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._monitor = monitor
        self._owns_monitor = monitor is None
        self._interval = interval
        self._read_system = read_system
        self._history_length = history
        self._status: GpuStatus | None = None
        self._system: SystemReading | None = None
        self._gpu_history: dict[int, _GpuHistory] = {}
        self._cpu_history = History(history)
        self._ram_history = History(history)
        self._reading = False

    # --- reading ------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.set_interval(self._interval, self.poll, name="gpu-poll")
        self.poll()

    def on_unmount(self) -> None:
        if self._owns_monitor and self._monitor is not None:
            self._monitor.close()

    def poll(self) -> None:
        """Take a reading in a thread; skipped while the previous one is still running."""
        if self._reading:
            return
        self._reading = True
        self._read_in_thread()

    def _read(self) -> tuple[GpuStatus, SystemReading]:
        if self._monitor is None:
            self._monitor = GpuMonitor()
        return self._monitor.read(), self._read_system()

    @work(thread=True, group="gpu-pane", exit_on_error=False)
    def _read_in_thread(self) -> None:
        status, system = None, None
        try:
            status, system = self._read()
        finally:
            # Always answer, so `poll` is not blocked for good by one failed reading.
            self.post_message(self._Read(status, system))

    def on_gpu_pane__read(self, message: _Read) -> None:
        message.stop()
        self._reading = False
        if message.status is not None and message.system is not None:
            self._apply(message.status, message.system)

    def sample(self) -> None:
        """Take a reading now, on this thread (tests and a manual refresh)."""
        self._apply(*self._read())

    def _shape(self) -> tuple[object, ...]:
        """What decides how many lines the pane takes (the readings themselves do not)."""
        gpus = tuple(reading.index for reading in self._status.gpus) if self._status else None
        reason = self._status.unavailable_reason if self._status else None
        cores = len(self._system.per_cpu_percent) if self._system else None
        return gpus, reason, cores

    def _apply(self, status: GpuStatus, system: SystemReading) -> None:
        shape = self._shape()
        self._status, self._system = status, system
        for reading in status.gpus:
            history = self._gpu_history.get(reading.index)
            if history is None:
                history = _GpuHistory(History(self._history_length), History(self._history_length))
                self._gpu_history[reading.index] = history
            history.utilization.push(reading.utilization_percent)
            history.memory.push(_share(reading.memory_used_bytes, reading.memory_total_bytes))
        self._cpu_history.push(system.cpu_percent)
        self._ram_history.push(_share(system.ram_used_bytes, system.ram_total_bytes))
        if self._shape() != shape:
            self.refresh(layout=True)
        else:
            # The same lines with new numbers: repaint only their rows, not the blank rest of a
            # pane as tall as the monitor (5 KB a reading at 120x40, 1 KB this way), and spare
            # the whole screen the layout pass that a layout refresh costs. The region is in the
            # widget's coordinates, padding included: whole rows, or the last column goes stale.
            width, height = self.content_size
            rows = self.gutter.top + min(self._content_lines(width, height), height)
            self.refresh(Region(0, 0, self.size.width, rows))
        self.post_message(self.Sampled(status, system))

    @property
    def status(self) -> GpuStatus | None:
        """The latest GPU reading (None before the first)."""
        return self._status

    @property
    def system(self) -> SystemReading | None:
        """The latest CPU/RAM reading (None before the first)."""
        return self._system

    def utilization_history(self, index: int) -> list[float]:
        """GPU `index`'s utilisation samples, oldest first."""
        history = self._gpu_history.get(index)
        return [] if history is None else history.utilization.values()

    # --- drawing ------------------------------------------------------------------------------

    def _full_height(self, width: int) -> int:
        gpus = self._status.gpus if self._status else ()
        reason = self._status.unavailable_reason if self._status else None
        lines = FULL_LINES_PER_GPU * len(gpus) if gpus else 1
        if reason:  # the reason wraps at word boundaries
            lines += len(Text(reason).wrap(self.app.console, max(width, 1))) - 1
        return lines + self._system_height(width)

    def _system_height(self, width: int) -> int:
        if self._system is None:
            return 0
        cores = len(self._system.per_cpu_percent)
        core_lines = -(-cores // max(1, width - LABEL_WIDTH)) if cores > 1 else 0
        return 1 + core_lines + 2  # CPU, per core, RAM and its figures

    def _compact(self, width: int, height: int) -> bool:
        """One line per GPU when four each do not fit the space given."""
        return self._full_height(width) > height and bool(self._status and self._status.gpus)

    def _content_lines(self, width: int, height: int) -> int:
        """Lines of text the pane shows, `height` being the room it has."""
        if self._status is None and self._system is None:
            return 1
        if self._compact(width, height):
            gpus = len(self._status.gpus) if self._status else 0
            return gpus + self._system_height(width)
        return self._full_height(width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._content_lines(width, container.height)

    def _styles(self) -> dict[str, Style]:
        return {
            part: self.get_component_rich_style(f"gpu-pane--{part}", partial=True)
            for part in ("title", "spark", "muted", "warning")
        }

    def render(self) -> Text:
        width = max(self.content_size.width, LABEL_WIDTH + 1)
        style = self._styles()
        text = Text(end="", no_wrap=False, overflow="fold")
        lines: list[Text] = []
        if self._status is None:
            lines.append(Text("reading GPUs…", style["muted"]))
        elif not self._status.gpus:
            reason = self._status.unavailable_reason or "no NVIDIA GPU"
            lines.append(Text(reason, style["warning"]))
        elif self._compact(width, self.content_size.height):
            lines += [self._compact_gpu_line(card, width, style) for card in self._status.gpus]
        else:
            for reading in self._status.gpus:
                lines += self._gpu_lines(reading, width, style)
        if self._system is not None:
            lines += self._system_lines(self._system, width, style)
        for number, line in enumerate(lines):
            if number:
                text.append("\n")
            if line.no_wrap:
                line.truncate(width, overflow="ellipsis")
            text.append_text(line)
        return text

    def _spark_line(
        self, label: str, value: float | None, values: list[float], width: int, spark: Style
    ) -> Text:
        line = Text(f"{label:<5}{_percent(value)} ", no_wrap=True, overflow="crop")
        line.append(sparkline(values, width - LABEL_WIDTH, high=100.0), spark)
        return line

    def _gpu_lines(self, reading: GpuReading, width: int, style: dict[str, Style]) -> list[Text]:
        history = self._gpu_history[reading.index]
        memory_share = _share(reading.memory_used_bytes, reading.memory_total_bytes)
        title = Text(f"GPU{reading.index} ", style["title"], no_wrap=True, overflow="ellipsis")
        title.append(reading.name, style["title"])
        figures = "  ".join(
            (_memory(reading.memory_used_bytes, reading.memory_total_bytes),
             _temperature(reading), _power(reading))
        )  # fmt: skip
        return [
            title,
            self._spark_line(
                "util", reading.utilization_percent, history.utilization.values(), width,
                style["spark"],
            ),
            self._spark_line("mem", memory_share, history.memory.values(), width, style["spark"]),
            _figures_line(figures, width, style["muted"]),
        ]  # fmt: skip

    def _compact_gpu_line(self, reading: GpuReading, width: int, style: dict[str, Style]) -> Text:
        history = self._gpu_history[reading.index]
        line = Text(f"GPU{reading.index} ", style["title"], no_wrap=True, overflow="crop")
        line.append(f"{_percent(reading.utilization_percent)} ")
        memory = _memory(reading.memory_used_bytes, reading.memory_total_bytes)
        tail = f" {memory} {_temperature(reading)}"
        spark_width = max(0, width - len(line) - len(tail))
        line.append(sparkline(history.utilization.values(), spark_width, high=100.0),
                    style["spark"])  # fmt: skip
        line.append(tail, style["muted"])
        return line

    def _system_lines(
        self, system: SystemReading, width: int, style: dict[str, Style]
    ) -> list[Text]:
        lines = [
            self._spark_line("CPU", system.cpu_percent, self._cpu_history.values(), width,
                             style["spark"])
        ]  # fmt: skip
        cores = system.per_cpu_percent
        if len(cores) > 1:
            # One bar per core, current load: a 64-core box still fits in two lines.
            per_line = max(1, width - LABEL_WIDTH)
            bars = sparkline(cores, len(cores), high=100.0)
            for start in range(0, len(bars), per_line):
                label = f"{len(cores)} cores" if start == 0 else ""
                line = Text(f"{label:<{LABEL_WIDTH}}", style["muted"], no_wrap=True)
                line.append(bars[start : start + per_line], style["spark"])
                lines.append(line)
        ram_share = _share(system.ram_used_bytes, system.ram_total_bytes)
        lines.append(
            self._spark_line("RAM", ram_share, self._ram_history.values(), width, style["spark"])
        )
        figures = _memory(system.ram_used_bytes, system.ram_total_bytes)
        if system.load_average is not None:
            figures += "  load " + "/".join(f"{load:.1f}" for load in system.load_average)
        lines.append(_figures_line(figures, width, style["muted"]))
        return lines
