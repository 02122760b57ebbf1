"""GPU readout against a fake NVML and the real one, psutil readout, sparkline and byte formats."""

from __future__ import annotations

import math
import sys
import threading
import time

# tests/fake_nvml.py: pytest puts tests/ on sys.path (tests/conftest.py, no __init__.py there).
import fake_nvml
import pytest
from fake_nvml import GIB, FakeGpu, FakeNvml

from cifar_tui.core.host.gpu import (
    GpuMonitor,
    GpuReading,
    History,
    SystemMonitor,
    format_bytes,
    read_system,
    sparkline,
)


def assert_one_line_reason(reason: str | None) -> None:
    assert reason is not None
    assert reason.startswith("no NVIDIA GPU: ")
    assert "\n" not in reason and len(reason) < 120


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(fake_nvml.NVMLError_LibraryNotFound(), "libnvidia-ml.so.1", id="no-library"),
        pytest.param(fake_nvml.NVMLError_DriverNotLoaded(), "driver not loaded", id="no-driver"),
        pytest.param(fake_nvml.NVMLError_NoPermission(), "permission", id="no-permission"),
        pytest.param(fake_nvml.NVMLError(999), "NVML Error with code 999", id="other"),
    ],
)
def test_nvml_init_failure_is_one_line(error: fake_nvml.NVMLError, expected: str) -> None:
    nvml = FakeNvml(init_error=error)
    monitor = GpuMonitor(nvml_module=nvml)
    status = monitor.read()
    assert status.gpus == ()
    assert_one_line_reason(status.unavailable_reason)
    assert expected in status.unavailable_reason  # type: ignore[operator]
    assert not monitor.available
    monitor.close()
    assert nvml.shutdown_calls == 0  # nothing to shut down after a failed init


def test_missing_pynvml_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` raise ImportError
    status = GpuMonitor().read()
    assert status.gpus == ()
    assert status.unavailable_reason == "no NVIDIA GPU: nvidia-ml-py (pynvml) is not installed"


def test_real_pynvml_never_raises() -> None:
    with GpuMonitor() as monitor:
        status = monitor.read()
    if status.gpus:  # a GPU machine: real readings
        assert status.unavailable_reason is None
        assert all(gpu.name for gpu in status.gpus)
    else:
        assert_one_line_reason(status.unavailable_reason)


@pytest.mark.gpu
def test_real_gpu_readings_are_sane() -> None:
    with GpuMonitor() as monitor:
        status = monitor.read()
    if not status.gpus:
        pytest.skip(status.unavailable_reason or "no GPU")
    gpu = status.gpus[0]
    assert gpu.memory_total_bytes is not None and gpu.memory_total_bytes > GIB
    assert 0 <= (gpu.memory_used_bytes or 0) <= gpu.memory_total_bytes
    assert gpu.utilization_percent is None or 0 <= gpu.utilization_percent <= 100


def test_fake_mirrors_real_pynvml_names() -> None:
    pynvml = pytest.importorskip("pynvml")
    for name in dir(FakeNvml):
        if name.startswith(("NVML_", "NVMLError", "nvml")):
            assert hasattr(pynvml, name), name
            if name.startswith("NVML_"):
                assert getattr(pynvml, name) == getattr(FakeNvml, name), name


def test_two_gpus() -> None:
    nvml = FakeNvml([FakeGpu(name="GPU A"), FakeGpu(name=b"GPU B", utilization_percent=5)])
    monitor = GpuMonitor(nvml_module=nvml)
    status = monitor.read()
    assert status.unavailable_reason is None
    assert status.gpus == (
        GpuReading(0, "GPU A", 87.0, 30 * GIB, 80 * GIB, 61.0, 350.0, 700.0),
        GpuReading(1, "GPU B", 5.0, 30 * GIB, 80 * GIB, 61.0, 350.0, 700.0),
    )
    assert isinstance(status.gpus[0].utilization_percent, float)
    monitor.close()
    monitor.close()
    assert (nvml.init_calls, nvml.shutdown_calls) == (1, 1)
    assert monitor.read().gpus == ()


def test_readings_follow_the_device() -> None:
    nvml = FakeNvml.with_gpus(2)
    monitor = GpuMonitor(nvml_module=nvml)
    assert [gpu.name for gpu in monitor.read().gpus] == ["Fake GPU 0", "Fake GPU 1"]
    nvml.gpus[1].utilization_percent = 99
    assert monitor.read().gpus[1].utilization_percent == 99.0
    assert nvml.init_calls == 1  # NVML starts once, not per read


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        pytest.param("power", ["power_watts"], id="power"),
        pytest.param("power_limit", ["power_limit_watts"], id="power-limit"),
        pytest.param("utilization", ["utilization_percent"], id="utilization-mig"),
        pytest.param("temperature", ["temperature_c"], id="temperature"),
        pytest.param("memory", ["memory_used_bytes", "memory_total_bytes"], id="memory"),
    ],
)
def test_unsupported_field_is_none(query: str, fields: list[str]) -> None:
    nvml = FakeNvml([FakeGpu(unsupported={query}), FakeGpu()])
    first, second = GpuMonitor(nvml_module=nvml).read().gpus
    for name in fields:
        assert getattr(first, name) is None
        assert getattr(second, name) is not None
    other = set(GpuReading.__dataclass_fields__) - set(fields)
    assert all(getattr(first, name) is not None for name in other)


def test_unsupported_name_and_lost_gpu_still_get_a_row() -> None:
    nvml = FakeNvml([FakeGpu(unsupported={"name"}), FakeGpu(unsupported={"handle"})])
    first, second = GpuMonitor(nvml_module=nvml).read().gpus
    assert first.name == "GPU 0" and first.power_watts == 350.0
    assert second.index == 1 and second.name == "GPU 1 (GPU is lost)"
    assert second.memory_total_bytes is None


def test_zero_devices() -> None:
    status = GpuMonitor(nvml_module=FakeNvml([])).read()
    assert status.gpus == ()
    assert status.unavailable_reason == "no NVIDIA GPU: NVML found 0 devices"


def test_read_system_is_sane() -> None:
    reading = read_system()
    assert 0.0 <= reading.cpu_percent <= 100.0
    assert reading.cpu_count >= 1
    assert len(reading.per_cpu_percent) == reading.cpu_count
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


def test_history_keeps_the_last_samples() -> None:
    history = History(maxlen=3)
    for value in [1, 2, None, 3, 4]:
        history.push(value)
    assert history.values() == [2.0, 3.0, 4.0]
    assert len(history) == 3
    assert History().values() == []


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        pytest.param(0, "0 B", id="zero"),
        pytest.param(1023, "1023 B", id="bytes"),
        pytest.param(1024, "1.0 KiB", id="kib"),
        pytest.param(1536, "1.5 KiB", id="kib-half"),
        pytest.param(5 * 1024**2, "5.0 MiB", id="mib"),
        pytest.param(1024**2 - 1, "1.0 MiB", id="rounds-up-a-unit"),
        pytest.param(int(3.2 * GIB), "3.2 GiB", id="gib"),
        pytest.param(80 * GIB, "80.0 GiB", id="h100"),
        pytest.param(2 * 1024**4, "2.0 TiB", id="tib"),
        pytest.param(3 * 1024**6, "3072.0 PiB", id="beyond-pib"),
        pytest.param(-2048, "-2.0 KiB", id="negative"),
    ],
)
def test_format_bytes(n: int, expected: str) -> None:
    assert format_bytes(n) == expected


@pytest.mark.parametrize(
    ("values", "width", "kwargs", "expected"),
    [
        pytest.param([], 4, {}, "    ", id="empty"),
        pytest.param([0, 100], 2, {"high": 100}, "▁█", id="percent"),
        pytest.param([0, 25, 50, 75, 100], 5, {"high": 100}, "▁▃▅▆█", id="ramp"),
        pytest.param([1, 2, 3, 4], 2, {}, "▆█", id="keeps-newest"),
        pytest.param([5], 3, {}, "  █", id="pads-left"),
        pytest.param([0, 0], 2, {}, "▁▁", id="flat-zero"),
        pytest.param([150, -10], 2, {"high": 100}, "█▁", id="clamped"),
        pytest.param([1, math.nan, 1], 3, {}, "█ █", id="nan-gap"),
        pytest.param([10, 20], 2, {"low": 10, "high": 20}, "▁█", id="low-high"),
        pytest.param([1, 2], 0, {}, "", id="zero-width"),
    ],
)
def test_sparkline(values: list[float], width: int, kwargs: dict, expected: str) -> None:
    assert sparkline(values, width, **kwargs) == expected
