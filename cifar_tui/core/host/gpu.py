"""Every NVIDIA GPU through NVML (nvidia-ml-py), read as plain data for ~1 Hz polling.

An NVML failure is data, never an exception: no package, no driver or no devices give a reading
with no GPUs and one line saying why. Tests pass a fake NVML module (tests/fake_nvml.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class GpuProcess:
    """A process using a GPU, as NVML reports it: its pid may be the host's (in a container)."""

    pid: int
    memory_bytes: int | None
    """GPU memory it holds; None where NVML cannot say (Windows WDDM, some MIG setups)."""
    kind: str = "compute"
    """"compute" (CUDA) or "graphics"."""


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
    uuid: str | None = None
    """NVML's stable id ("GPU-1a2b..."): the same card whatever the index order."""
    processes: tuple[GpuProcess, ...] | None = None
    """The processes on it; None where NVML could not list them."""


@dataclass(frozen=True)
class GpuStatus:
    """All GPUs, or none and one line saying why (shown in the GPU pane as is)."""

    gpus: tuple[GpuReading, ...]
    unavailable_reason: str | None = None


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
            code = getattr(error, "value", None)
            reason = _INIT_FAILURES.get(code, "") if isinstance(code, int) else ""
            reason = reason or f"NVML failed ({error})"
            self._reason = f"no NVIDIA GPU: {reason}"
            return
        self._initialised = True

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
        uuid = self._field(lambda: nvml.nvmlDeviceGetUUID(handle))
        if isinstance(uuid, bytes):
            uuid = uuid.decode("utf-8", "replace")
        return GpuReading(
            index=index,
            name=name or f"GPU {index}",
            utilization_percent=utilization,
            memory_used_bytes=None if memory is None else int(memory.used),
            memory_total_bytes=None if memory is None else int(memory.total),
            temperature_c=temperature,
            power_watts=power,
            power_limit_watts=limit,
            uuid=uuid,
            processes=self._processes(handle),
        )

    def _processes(self, handle: Any) -> tuple[GpuProcess, ...] | None:
        """Compute then graphics processes (a process doing both is listed once, as compute)."""
        nvml, found = self._nvml, dict[int, GpuProcess]()
        queries = (
            ("compute", "nvmlDeviceGetComputeRunningProcesses"),
            ("graphics", "nvmlDeviceGetGraphicsRunningProcesses"),
        )
        listed = False
        for kind, query in queries:
            read = getattr(nvml, query, None)
            if read is None:  # an nvidia-ml-py too old for graphics processes
                continue
            try:
                entries = self._field(functools.partial(_listed, read, handle))
            except Exception:  # noqa: BLE001 - pynvml's NVMLLibraryMismatchError is no NVMLError
                entries = None  # (a driver older than the package's _v3 call): data, not a crash
            if entries is None:
                continue
            listed = True
            for entry in entries:
                pid, used = int(entry.pid), getattr(entry, "usedGpuMemory", None)
                # pynvml gives None for NVML_VALUE_NOT_AVAILABLE (WDDM, MIG without rights).
                memory = int(used) if isinstance(used, int) and used >= 0 else None
                found.setdefault(pid, GpuProcess(pid, memory, kind))
        return tuple(found.values()) if listed else None

    def driver_versions(self) -> tuple[str | None, str | None]:
        """The NVIDIA driver's version ("550.54.15") and the newest CUDA it runs ("12.4")."""
        if not self._initialised:
            return None, None
        nvml = self._nvml
        driver = self._field(lambda: nvml.nvmlSystemGetDriverVersion())
        if isinstance(driver, bytes):
            driver = driver.decode("utf-8", "replace")
        cuda = self._field(lambda: int(nvml.nvmlSystemGetCudaDriverVersion()))
        # NVML encodes CUDA 12.4 as 12040.
        return driver, None if cuda is None else f"{cuda // 1000}.{cuda % 1000 // 10}"

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


def _listed(read: Callable[[Any], Any], handle: Any) -> list[Any]:
    return list(read(handle))
