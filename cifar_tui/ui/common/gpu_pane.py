"""GpuPane: every NVIDIA GPU (NVML) and the CPU and RAM (psutil), with a short history, at ~1 Hz.

The widget reads and displays; what its lines say and how many there are is gpu_pane_lines.py.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.geometry import Region, Size
from textual.message import Message
from textual.widget import Widget

from cifar_tui.core.host.gpu import GpuMonitor, GpuStatus
from cifar_tui.core.host.gpu_processes import ProcessNamer
from cifar_tui.core.host.system import SystemReading, read_system
from cifar_tui.ui.common.gpu_pane_lines import (
    LABEL_WIDTH,
    PaneStyles,
    ReadingHistory,
    content_lines,
    is_compact,
    join_lines,
    pane_lines,
)
from cifar_tui.ui.common.gpu_process_lines import Labels, process_count


class GpuPane(Widget):
    """GPU name, utilisation, memory, temperature and power per card; CPU and RAM below.

    Readings are taken in a thread worker every `interval` seconds (one at a time) and applied on
    the UI thread. Without NVML one line says "no NVIDIA GPU: <why>", and CPU/RAM still show.
    About 40 columns suit it; each GPU takes 4 lines and one per process on it (our trainers by
    run name), or 1 line in all when the pane is short.
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

    class _Read(Message):
        """A worker's reading, to apply on the UI thread (private); None where reading failed."""

        def __init__(
            self, status: GpuStatus | None, system: SystemReading | None, labels: Labels
        ) -> None:
            super().__init__()
            self.status = status
            self.system = system
            self.labels = labels

    def __init__(
        self,
        monitor: GpuMonitor | None = None,
        interval: float = 1.0,
        *,
        read_system: Callable[[], SystemReading] = read_system,
        history: int = 60,
        namer: ProcessNamer | None = None,
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
        namer: names each GPU's processes (None: no process lines).
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._monitor = monitor
        self._owns_monitor = monitor is None
        self._interval = interval
        self._read_system = read_system
        self._status: GpuStatus | None = None
        self._system: SystemReading | None = None
        self._history = ReadingHistory(history)
        self._namer = namer
        self._labels: Labels = {}
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

    def _read(self) -> tuple[GpuStatus, SystemReading, Labels]:
        if self._monitor is None:
            self._monitor = GpuMonitor()
        status = self._monitor.read()
        labels = self._namer.label(status) if self._namer is not None else {}
        return status, self._read_system(), labels

    @work(thread=True, group="gpu-pane", exit_on_error=False)
    def _read_in_thread(self) -> None:
        status, system, labels = None, None, {}
        try:
            status, system, labels = self._read()
        finally:
            # Always answer, so `poll` is not blocked for good by one failed reading.
            self.post_message(self._Read(status, system, labels))

    def on_gpu_pane__read(self, message: _Read) -> None:
        message.stop()
        self._reading = False
        if message.status is not None and message.system is not None:
            self._apply(message.status, message.system, message.labels)

    def sample(self) -> None:
        """Take a reading now, on this thread: tests take fixed readings with it, timer-free."""
        self._apply(*self._read())

    def _shape(self) -> tuple[object, ...]:
        """What decides how many lines the pane takes (the readings themselves do not)."""
        gpus = tuple(reading.index for reading in self._status.gpus) if self._status else None
        reason = self._status.unavailable_reason if self._status else None
        cores = len(self._system.per_cpu_percent) if self._system else None
        processes = tuple(process_count(self._labels, index) for index in gpus or ())
        return gpus, reason, cores, processes

    def _apply(self, status: GpuStatus, system: SystemReading, labels: Labels) -> None:
        shape = self._shape()
        self._status, self._system, self._labels = status, system, labels
        self._history.record(status, system)
        if self._shape() != shape:
            self.refresh(layout=True)
        else:
            # The same lines with new numbers: repaint only their rows, not the blank rest of a
            # pane as tall as the monitor, and spare the whole screen the layout pass that a
            # layout refresh costs (BENCHMARKS.md, "The app through a pty"). The region is in the
            # widget's coordinates, padding included: whole rows, or the last column goes stale.
            width, height = self.content_size
            rows = self.gutter.top + min(self._content_lines(width, height), height)
            self.refresh(Region(0, 0, self.size.width, rows))

    @property
    def status(self) -> GpuStatus | None:
        """The latest GPU reading (None before the first)."""
        return self._status

    # --- drawing ------------------------------------------------------------------------------

    def _content_lines(self, width: int, height: int) -> int:
        console = self.app.console
        return content_lines(self._status, self._system, width, height, console, self._labels)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._content_lines(width, container.height)

    def _styles(self) -> PaneStyles:
        parts = ("title", "spark", "muted", "warning")
        return PaneStyles(
            **{
                part: self.get_component_rich_style(f"gpu-pane--{part}", partial=True)
                for part in parts
            }
        )

    def render(self) -> Text:
        width = max(self.content_size.width, LABEL_WIDTH + 1)
        height = self.content_size.height
        status, system, labels = self._status, self._system, self._labels
        compact = is_compact(status, system, width, height, self.app.console, labels)
        lines = pane_lines(status, system, self._history, width, compact, self._styles(), labels)
        return join_lines(lines, width)
