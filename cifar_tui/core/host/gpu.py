"""GPU (NVML, via nvidia-ml-py) and CPU/RAM (psutil) readouts as plain data, for ~1 Hz polling."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import psutil

T = TypeVar("T")

SPARK_CHARS = "▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class GpuReading:
    """One GPU at one moment; a field the card or driver cannot report is None."""

    index: int
    name: str
    utilization_percent: float | None
    memory_used_bytes: int | None
    memory_total_bytes: int | None
    temperature_c: float | None
    power_watts: float | None
    power_limit_watts: float | None


@dataclass(frozen=True)
class GpuStatus:
    """All GPUs, or none and one line saying why (shown in the GPU pane as is)."""

    gpus: tuple[GpuReading, ...]
    unavailable_reason: str | None = None


@dataclass(frozen=True)
class SystemReading:
    """CPU and RAM at one moment; CPU percentages cover the time since the previous reading."""

    cpu_percent: float
    per_cpu_percent: tuple[float, ...]
    cpu_count: int
    ram_used_bytes: int
    ram_total_bytes: int
    load_average: tuple[float, float, float] | None


# NVML error codes (stable across NVML versions) for why nvmlInit failed, as users would say it.
_INIT_FAILURES = {
    12: "NVML library not found (libnvidia-ml.so.1; no NVIDIA driver in this machine/container)",
    9: "NVIDIA driver not loaded",
    4: "no permission to open the GPU devices",
    18: "NVML and driver versions differ (driver updated without a reboot?)",
}


class GpuMonitor:
    """Read every NVIDIA GPU through NVML; an NVML failure is data, never an exception.

    NVML is initialised once here and shut down in `close()`. Without NVML (no package, no
    driver, no devices) `read()` returns no GPUs and `unavailable_reason`.
    """

    def __init__(self, nvml_module: Any = None) -> None:
        """Args: nvml_module: stands in for `pynvml` (tests pass a fake); None imports it."""
        self._nvml: Any = nvml_module
        self._initialised = False
        self._reason: str | None = None
        if self._nvml is None:
            try:
                import pynvml  # Lazy: the package is optional at run time, and cheap to import.
            except ImportError:
                self._reason = "no NVIDIA GPU: nvidia-ml-py (pynvml) is not installed"
                return
            self._nvml = pynvml
        try:
            self._nvml.nvmlInit()
        except self._nvml.NVMLError as error:
            reason = _INIT_FAILURES.get(getattr(error, "value", None), f"NVML failed ({error})")
            self._reason = f"no NVIDIA GPU: {reason}"
            return
        self._initialised = True

    @property
    def available(self) -> bool:
        """True once NVML started; the GPU count may still be zero."""
        return self._initialised

    def read(self) -> GpuStatus:
        """Return a reading of every GPU, or why there is none."""
        if not self._initialised:
            return GpuStatus((), self._reason or "no NVIDIA GPU: NVML was shut down")
        nvml = self._nvml
        try:
            count = nvml.nvmlDeviceGetCount()
        except nvml.NVMLError as error:
            return GpuStatus((), f"no NVIDIA GPU: NVML could not count devices ({error})")
        if count == 0:
            return GpuStatus((), "no NVIDIA GPU: NVML found 0 devices")
        return GpuStatus(tuple(self._read_one(index) for index in range(count)))

    def _read_one(self, index: int) -> GpuReading:
        nvml = self._nvml
        try:
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
        except nvml.NVMLError as error:
            # A lost or unreachable GPU still gets a row, so indices stay stable in the pane.
            return GpuReading(index, f"GPU {index} ({error})", None, None, None, None, None, None)
        name = self._field(lambda: nvml.nvmlDeviceGetName(handle))
        if isinstance(name, bytes):  # older nvidia-ml-py releases return bytes
            name = name.decode("utf-8", "replace")
        utilization = self._field(lambda: float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu))
        memory = self._field(lambda: nvml.nvmlDeviceGetMemoryInfo(handle))
        temperature = self._field(
            lambda: float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))
        )
        # NVML reports power in milliwatts.
        power = self._field(lambda: nvml.nvmlDeviceGetPowerUsage(handle) / 1000.0)
        limit = self._field(lambda: nvml.nvmlDeviceGetEnforcedPowerLimit(handle) / 1000.0)
        return GpuReading(
            index=index,
            name=name or f"GPU {index}",
            utilization_percent=utilization,
            memory_used_bytes=None if memory is None else int(memory.used),
            memory_total_bytes=None if memory is None else int(memory.total),
            temperature_c=temperature,
            power_watts=power,
            power_limit_watts=limit,
        )

    def _field(self, read: Callable[[], T]) -> T | None:
        """One NVML query; NotSupported (power on many cards, utilisation under MIG) is None."""
        try:
            return read()
        except self._nvml.NVMLError:
            return None

    def close(self) -> None:
        """Shut NVML down; safe to call twice."""
        if self._initialised:
            self._initialised = False
            try:
                self._nvml.nvmlShutdown()
            except self._nvml.NVMLError:
                pass  # Shutting down an NVML that is already gone leaves nothing to undo.

    def __enter__(self) -> GpuMonitor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _percent(before: Any, after: Any) -> float:
    """Busy share of CPU time between two psutil cpu_times samples, counted as psutil does."""

    def busy_and_total(times: Any) -> tuple[float, float]:
        # On Linux guest time is already inside user time; counting it twice inflates the total.
        total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
        return total - times.idle - getattr(times, "iowait", 0.0), total

    busy_before, total_before = busy_and_total(before)
    busy_after, total_after = busy_and_total(after)
    elapsed = total_after - total_before
    if elapsed <= 0:
        return 0.0
    return round(min(100.0, max(0.0, (busy_after - busy_before) / elapsed * 100)), 1)


class SystemMonitor:
    """CPU/RAM readings, each CPU figure measured since this monitor's previous reading.

    psutil.cpu_percent(interval=None) keeps its baseline per thread and returns 0.0 on a
    thread's first call, so a poll from a fresh worker thread would always read 0%. This
    class keeps its own baseline (taken at construction), so any thread gets real numbers.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = psutil.cpu_times()
        self._last_per_cpu = psutil.cpu_times(percpu=True)

    def read(self) -> SystemReading:
        """Return CPU use since the previous call (or construction) and current RAM."""
        now, now_per_cpu = psutil.cpu_times(), psutil.cpu_times(percpu=True)
        with self._lock:
            before, before_per_cpu = self._last, self._last_per_cpu
            self._last, self._last_per_cpu = now, now_per_cpu
        memory = psutil.virtual_memory()
        load: tuple[float, float, float] | None
        try:
            one, five, fifteen = psutil.getloadavg()
            load = (one, five, fifteen)
        except (AttributeError, OSError):  # not every platform has a load average
            load = None
        return SystemReading(
            cpu_percent=_percent(before, now),
            per_cpu_percent=tuple(
                _percent(b, a) for b, a in zip(before_per_cpu, now_per_cpu, strict=False)
            ),
            cpu_count=psutil.cpu_count() or len(now_per_cpu),
            # total - available counts what programs hold, not reclaimable page cache.
            ram_used_bytes=int(memory.total - memory.available),
            ram_total_bytes=int(memory.total),
            load_average=load,
        )


# Primed at import, so the first read_system() a second later already shows real CPU use.
_default_system_monitor = SystemMonitor()


def read_system() -> SystemReading:
    """Return CPU use since the previous read_system() call (or import) and current RAM."""
    return _default_system_monitor.read()


class History:
    """The last `maxlen` samples of one metric, for a sparkline."""

    def __init__(self, maxlen: int = 60) -> None:
        """Args: maxlen: samples kept (60 at 1 Hz is the last minute)."""
        self._values: deque[float] = deque(maxlen=maxlen)

    def push(self, value: float | None) -> None:
        """Append one sample; None (a missing reading) is skipped."""
        if value is not None:
            self._values.append(float(value))

    def values(self) -> list[float]:
        """Oldest first."""
        return list(self._values)

    def __len__(self) -> int:
        return len(self._values)


def format_bytes(n: float) -> str:
    """Binary units, one decimal from KiB up: 0 -> "0 B", 3435973837 -> "3.2 GiB"."""
    if n < 0:
        return "-" + format_bytes(-n)
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    value = float(n)
    for unit in units[:-1]:
        if unit == "B" and value < 1024:
            return f"{int(value)} B"
        if unit != "B" and round(value, 1) < 1024:  # so 1023.97 KiB reads "1.0 MiB"
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} {units[-1]}"


def sparkline(
    values: Iterable[float], width: int, low: float = 0.0, high: float | None = None
) -> str:
    """Draw the last `width` values as "▁▂▃▄▅▆▇█", left-padded with spaces.

    Args:
        values: samples, oldest first; NaN draws as a space.
        width: characters wanted.
        low: value drawn as "▁".
        high: value drawn as "█"; None uses the largest value shown (100 suits percentages).

    Returns:
        Exactly `width` characters.
    """
    if width <= 0:
        return ""
    shown = list(values)[-width:]
    finite = [v for v in shown if not math.isnan(v)]
    top = high if high is not None else max(finite, default=low)
    span = top - low
    chars = []
    for value in shown:
        if math.isnan(value):
            chars.append(" ")
            continue
        fraction = 0.0 if span <= 0 else (value - low) / span
        level = round(min(1.0, max(0.0, fraction)) * (len(SPARK_CHARS) - 1))
        chars.append(SPARK_CHARS[level])
    return " " * (width - len(shown)) + "".join(chars)
