"""GPU readings against a fake NVML and the real one: a failure is data, never an exception."""

from __future__ import annotations

import sys

# tests/fake_nvml.py: pytest puts tests/ on sys.path (tests/conftest.py, no __init__.py there).
import fake_nvml
import pytest
from fake_nvml import GIB, FakeGpu, FakeNvml

from cifar_tui.core.host.gpu import GpuMonitor, GpuReading


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
    import pynvml

    for name in dir(FakeNvml):
        if name.startswith(("NVML_", "NVMLError", "nvml")):
            assert hasattr(pynvml, name), name
            if name.startswith("NVML_"):
                assert getattr(pynvml, name) == getattr(FakeNvml, name), name


NO_UUID = FakeGpu().uuid


def test_two_gpus() -> None:
    nvml = FakeNvml([FakeGpu(name="GPU A"), FakeGpu(name=b"GPU B", utilization_percent=5)])
    monitor = GpuMonitor(nvml_module=nvml)
    status = monitor.read()
    assert status.unavailable_reason is None
    assert status.gpus == (
        GpuReading(0, "GPU A", 87.0, 30 * GIB, 80 * GIB, 61.0, 350.0, 700.0, NO_UUID, ()),
        GpuReading(1, "GPU B", 5.0, 30 * GIB, 80 * GIB, 61.0, 350.0, 700.0, NO_UUID, ()),
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
