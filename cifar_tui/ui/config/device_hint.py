"""The line under the form's `devices` row: each GPU's free memory and load, and what `auto`
would pick now, or plainly that there is no GPU (then every setting but `cpu` trains on the CPU).
"""

from __future__ import annotations

from textual import work
from textual.message import Message
from textual.widgets import Input, Static

from cifar_tui.core.devices import parse_devices
from cifar_tui.core.host.gpu import GpuMonitor, GpuStatus
from cifar_tui.core.host.gpu_choice import free_bytes, pick_gpu
from cifar_tui.ui.common.formatting import format_bytes


def hint_text(status: GpuStatus | None, devices: str) -> str:
    """The hint for a reading and what the `devices` field holds (a pure function)."""
    if status is None:
        return "reading GPUs…"
    if not status.gpus:
        reason = status.unavailable_reason or "no NVIDIA GPU"
        return f"runs train on the CPU: {reason}"
    parts = []
    for gpu in status.gpus:
        free = free_bytes(gpu)
        memory = "? free" if free is None else f"{format_bytes(free)} free"
        busy = "?" if gpu.utilization_percent is None else f"{gpu.utilization_percent:.0f}%"
        parts.append(f"GPU{gpu.index} {memory} {busy}")
    text = " · ".join(parts)
    try:
        chosen = parse_devices(devices)
    except ValueError:
        return text
    if isinstance(chosen, tuple):
        known = {gpu.index for gpu in status.gpus}
        missing = [index for index in chosen if index not in known]
        if missing:
            return f"no GPU {missing[0]} here! {text}"
    best = pick_gpu(status.gpus)
    if chosen == "auto" and best is not None:  # first: it leads however the GPUs wrap
        text = f"auto picks GPU{best.index} · {text}"
    return text


def wrap_between(text: str, width: int, separator: str = " · ") -> str:
    """`text` in lines of at most `width` cells, broken only at `separator`s, so that one GPU's
    figures stay on one line (a part longer than `width` is left for the widget to fold)."""
    lines: list[str] = []
    for part in text.split(separator):
        if lines and len(lines[-1]) + len(separator) + len(part) <= width:
            lines[-1] += separator + part
        else:
            lines.append(part)
    return "\n".join(lines)


class DeviceHint(Static):
    """Reads NVML in a thread every `interval` seconds (at least 2) and says `hint_text`."""

    class _Read(Message):
        def __init__(self, status: GpuStatus | None) -> None:
            super().__init__()
            self.status = status

    def __init__(
        self, monitor: GpuMonitor | None, interval: float, devices: Input, *, id: str | None = None
    ) -> None:
        """Args: monitor: the app's NVML reader (None: one of its own, closed at unmount);
        devices: the form's `devices` input, whose value the hint follows."""
        super().__init__(id=id, classes="gpu-choice", markup=False)
        self._monitor = monitor
        self._owns_monitor = monitor is None
        self._interval = max(interval, 2.0)
        self._devices = devices
        self._status: GpuStatus | None = None

    @property
    def status(self) -> GpuStatus | None:
        """The latest NVML reading shown (None until the first one is in)."""
        return self._status

    def on_mount(self) -> None:
        self.watch(self._devices, "value", self._show)
        self.set_interval(self._interval, self._poll)
        self._read()

    def _poll(self) -> None:
        """A reading only while the form is on screen: NVML calls cost the trainers' CPU too."""
        if self.screen.is_current:
            self._read()

    def on_unmount(self) -> None:
        if self._owns_monitor and self._monitor is not None:
            self._monitor.close()

    @work(thread=True, exclusive=True, group="device-hint", exit_on_error=False)
    def _read(self) -> None:
        status = None
        try:
            if self._monitor is None:
                self._monitor = GpuMonitor()
            status = self._monitor.read()
        finally:
            self.post_message(self._Read(status))

    def on_device_hint__read(self, message: _Read) -> None:
        message.stop()
        if message.status is not None:
            self._status = message.status
            self._show()

    def on_resize(self) -> None:
        self._show()

    def _show(self, _value: object = None) -> None:
        text = hint_text(self._status, self._devices.value)
        width = self.content_size.width
        self.update(wrap_between(text, width) if width > 0 else text)
