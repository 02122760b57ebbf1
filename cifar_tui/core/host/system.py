"""CPU and RAM (psutil) read as plain data, each CPU figure measured since the previous reading."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import psutil


@dataclass(frozen=True)
class SystemReading:
    """CPU and RAM at one moment; CPU percentages cover the time since the previous reading."""

    cpu_percent: float
    per_cpu_percent: tuple[float, ...]
    ram_used_bytes: int
    ram_total_bytes: int
    load_average: tuple[float, float, float] | None


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
