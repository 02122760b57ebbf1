"""A stand-in for the `pynvml` module: configurable GPUs, errors and unsupported fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_GPU_IS_LOST = 15
NVML_TEMPERATURE_GPU = 0


class NVMLError(Exception):
    """Mirrors pynvml.NVMLError: `.value` holds the NVML error code."""

    _messages = {
        NVML_ERROR_NO_PERMISSION: "Insufficient Permissions",
        NVML_ERROR_NOT_SUPPORTED: "Not Supported",
        NVML_ERROR_DRIVER_NOT_LOADED: "Driver Not Loaded",
        NVML_ERROR_LIBRARY_NOT_FOUND: "NVML Shared Library Not Found",
        NVML_ERROR_GPU_IS_LOST: "GPU is lost",
    }

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return self._messages.get(self.value, f"NVML Error with code {self.value}")


def _error_class(name: str, value: int) -> type[NVMLError]:
    def __init__(self: NVMLError) -> None:
        NVMLError.__init__(self, value)

    return type(name, (NVMLError,), {"__init__": __init__})


NVMLError_NoPermission = _error_class("NVMLError_NoPermission", NVML_ERROR_NO_PERMISSION)
NVMLError_NotSupported = _error_class("NVMLError_NotSupported", NVML_ERROR_NOT_SUPPORTED)
NVMLError_DriverNotLoaded = _error_class("NVMLError_DriverNotLoaded", NVML_ERROR_DRIVER_NOT_LOADED)
NVMLError_LibraryNotFound = _error_class("NVMLError_LibraryNotFound", NVML_ERROR_LIBRARY_NOT_FOUND)
NVMLError_GpuIsLost = _error_class("NVMLError_GpuIsLost", NVML_ERROR_GPU_IS_LOST)

GIB = 1024**3


@dataclass
class FakeGpu:
    """One card's readings in NVML's own units (milliwatts, bytes, percent, °C)."""

    name: str | bytes = "NVIDIA H100 80GB HBM3"
    utilization_percent: int = 87
    memory_used_bytes: int = 30 * GIB
    memory_total_bytes: int = 80 * GIB
    temperature_c: int = 61
    power_milliwatts: int = 350_000
    power_limit_milliwatts: int = 700_000
    unsupported: set[str] = field(default_factory=set)
    """Queries that raise NVMLError_NotSupported: "name", "utilization", "memory",
    "temperature", "power", "power_limit", "uuid", "processes", or "handle" (the whole card is
    lost: NVMLError_GpuIsLost)."""
    uuid: str = "GPU-00000000-0000-0000-0000-000000000000"
    processes: list[FakeProcess] = field(default_factory=list)
    """Compute processes (nvmlDeviceGetComputeRunningProcesses)."""
    graphics_processes: list[FakeProcess] = field(default_factory=list)


@dataclass
class FakeProcess:
    """What nvmlDeviceGet*RunningProcesses returns per process; `pid` as NVML sees it (a host
    pid in a container). `usedGpuMemory` None: NVML cannot tell (as pynvml reports it)."""

    pid: int
    usedGpuMemory: int | None = GIB  # noqa: N815 - pynvml's attribute name


class FakeNvml:
    """Module-like: pass an instance as `GpuMonitor(nvml_module=...)`.

    Args:
        gpus: the cards it reports; change `.gpus` between reads to simulate load.
        init_error: raised by nvmlInit (e.g. NVMLError_LibraryNotFound()).
    """

    NVMLError = NVMLError
    NVMLError_NoPermission = NVMLError_NoPermission
    NVMLError_NotSupported = NVMLError_NotSupported
    NVMLError_DriverNotLoaded = NVMLError_DriverNotLoaded
    NVMLError_LibraryNotFound = NVMLError_LibraryNotFound
    NVMLError_GpuIsLost = NVMLError_GpuIsLost
    NVML_ERROR_NO_PERMISSION = NVML_ERROR_NO_PERMISSION
    NVML_ERROR_NOT_SUPPORTED = NVML_ERROR_NOT_SUPPORTED
    NVML_ERROR_DRIVER_NOT_LOADED = NVML_ERROR_DRIVER_NOT_LOADED
    NVML_ERROR_LIBRARY_NOT_FOUND = NVML_ERROR_LIBRARY_NOT_FOUND
    NVML_TEMPERATURE_GPU = NVML_TEMPERATURE_GPU

    def __init__(
        self, gpus: list[FakeGpu] | None = None, init_error: NVMLError | None = None
    ) -> None:
        self.gpus = list(gpus) if gpus is not None else []
        self.init_error = init_error
        self.driver_version: str | None = "550.54.15"
        self.cuda_driver_version: int | None = 12040  # CUDA 12.4, as NVML encodes it
        self.init_calls = 0
        self.shutdown_calls = 0
        self.count_error: NVMLError | None = None
        """Raised by nvmlDeviceGetCount while set (the driver lost every card, for a while)."""

    @classmethod
    def with_gpus(cls, count: int = 2) -> FakeNvml:
        """`count` distinguishable cards: names "Fake GPU 0", "Fake GPU 1", ..."""
        return cls(
            [
                FakeGpu(
                    name=f"Fake GPU {i}",
                    utilization_percent=10 * (i + 1),
                    uuid=f"GPU-{i:08d}-fake",
                )
                for i in range(count)
            ]
        )

    def nvmlInit(self) -> None:
        self.init_calls += 1
        if self.init_error is not None:
            raise self.init_error

    def nvmlShutdown(self) -> None:
        self.shutdown_calls += 1

    def nvmlSystemGetDriverVersion(self) -> str:
        if self.driver_version is None:
            raise NVMLError_NotSupported()
        return self.driver_version

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        if self.cuda_driver_version is None:
            raise NVMLError_NotSupported()
        return self.cuda_driver_version

    def nvmlDeviceGetCount(self) -> int:
        if self.count_error is not None:
            raise self.count_error
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeGpu:
        if index >= len(self.gpus):
            raise NVMLError(2)  # NVML_ERROR_INVALID_ARGUMENT
        gpu = self.gpus[index]
        if "handle" in gpu.unsupported:
            raise NVMLError_GpuIsLost()
        return gpu

    def _check(self, gpu: FakeGpu, query: str) -> None:
        if query in gpu.unsupported:
            raise NVMLError_NotSupported()

    def nvmlDeviceGetName(self, handle: FakeGpu) -> str | bytes:
        self._check(handle, "name")
        return handle.name

    def nvmlDeviceGetUtilizationRates(self, handle: FakeGpu) -> SimpleNamespace:
        self._check(handle, "utilization")
        return SimpleNamespace(gpu=handle.utilization_percent, memory=0)

    def nvmlDeviceGetMemoryInfo(self, handle: FakeGpu) -> SimpleNamespace:
        self._check(handle, "memory")
        used, total = handle.memory_used_bytes, handle.memory_total_bytes
        return SimpleNamespace(used=used, total=total, free=total - used)

    def nvmlDeviceGetTemperature(self, handle: FakeGpu, sensor: int) -> int:
        assert sensor == NVML_TEMPERATURE_GPU
        self._check(handle, "temperature")
        return handle.temperature_c

    def nvmlDeviceGetPowerUsage(self, handle: FakeGpu) -> int:
        self._check(handle, "power")
        return handle.power_milliwatts

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: FakeGpu) -> int:
        self._check(handle, "power_limit")
        return handle.power_limit_milliwatts

    def nvmlDeviceGetUUID(self, handle: FakeGpu) -> str:
        self._check(handle, "uuid")
        return handle.uuid

    def nvmlDeviceGetComputeRunningProcesses(self, handle: FakeGpu) -> list[FakeProcess]:
        self._check(handle, "processes")
        return list(handle.processes)

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle: FakeGpu) -> list[FakeProcess]:
        self._check(handle, "processes")
        return list(handle.graphics_processes)
