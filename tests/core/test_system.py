"""CPU and RAM readings (psutil): sane ranges, and real load from a fresh thread's first read."""

from __future__ import annotations

import threading
import time

from cifar_tui.core.host.system import SystemMonitor, read_system


def test_read_system_is_sane() -> None:
    reading = read_system()
    assert 0.0 <= reading.cpu_percent <= 100.0
    assert len(reading.per_cpu_percent) >= 1
    assert all(0.0 <= p <= 100.0 for p in reading.per_cpu_percent)
    assert 0 < reading.ram_used_bytes <= reading.ram_total_bytes
    assert reading.load_average is None or len(reading.load_average) == 3


def test_first_reading_from_a_new_thread_measures_real_load() -> None:
    # psutil's own cpu_percent(interval=None) reads 0.0 on each new thread's first call.
    monitor = SystemMonitor()
    deadline = time.perf_counter() + 0.3
    while time.perf_counter() < deadline:
        pass  # keep one core busy
    readings = []
    worker = threading.Thread(target=lambda: readings.append(monitor.read()))
    worker.start()
    worker.join()
    assert readings[0].cpu_percent > 0.0
