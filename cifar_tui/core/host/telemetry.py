"""The trainer's own device use, read about once a second in a background thread.

On GPUs: NVML utilisation and memory of the GPUs this process uses (CUDA_VISIBLE_DEVICES, in
nvidia-smi's numbering: the launcher sets CUDA_DEVICE_ORDER=PCI_BUS_ID). On a CPU: the process's
CPU time as a share of the cores it may use, and its resident memory. Each epoch's readings become
its `device_use` (core/rundir/device_use.py): mean and peak.

Nothing here may fail or slow training: readings run in their own thread (no device sync, nothing
on the training thread but one reading at an epoch's end), and any error is a missing reading.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import psutil

SAMPLE_SECONDS = 1.0
"""Between readings: NVML's utilisation is itself an average over the driver's last 1/6 to 1 s."""

MIN_LAST_WINDOW = 0.25
"""At an epoch's end a last reading is taken only if the latest is older than this (seconds): a
CPU share over a shorter window is mostly the 10 ms granularity of the kernel's CPU times."""


@dataclass(frozen=True)
class Reading:
    """One reading; a figure that could not be read is None (a gap, never a zero)."""

    util: float | None
    """Percent (see DeviceUse.util_mean)."""
    memory: float | None
    """Bytes in use."""
    memory_total: float | None = None


MISSING = Reading(None, None)


def summarize(kind: str, readings: Sequence[Reading], gpus: Sequence[int] = ()) -> dict[str, Any]:
    """An epoch's readings as `epoch_ended`'s `device_use` table (read back by device_use_from).

    Args:
        kind: "gpu" or "cpu".
        readings: the epoch's readings, in order; failed ones hold None.
        gpus: the NVML indices read.

    Returns:
        {"kind", "gpus", "util_mean", "util_peak", "memory_mean", "memory_peak", "memory_total",
        "samples", "missing"}: means and peaks over the readings that have the figure (None when
        none has it), utilisation rounded to 0.1 %, memory to whole bytes.
    """
    utils = [reading.util for reading in readings if reading.util is not None]
    memory = [reading.memory for reading in readings if reading.memory is not None]
    totals = [reading.memory_total for reading in readings if reading.memory_total is not None]
    return {
        "kind": kind,
        "gpus": list(gpus),
        "util_mean": round(sum(utils) / len(utils), 1) if utils else None,
        "util_peak": round(max(utils), 1) if utils else None,
        "memory_mean": round(sum(memory) / len(memory)) if memory else None,
        "memory_peak": round(max(memory)) if memory else None,
        "memory_total": round(totals[-1]) if totals else None,
        "samples": len(readings),
        "missing": len(readings) - len(utils),
    }


def process_gpus(gpu_count: int, environ: Mapping[str, str]) -> tuple[int, ...] | None:
    """The NVML indices of the `gpu_count` GPUs TensorFlow uses in this process.

    CUDA numbers the GPUs it is shown by CUDA_VISIBLE_DEVICES in that list's order; with
    CUDA_DEVICE_ORDER=PCI_BUS_ID (which the launcher sets) a number in it is nvidia-smi's and
    NVML's. Unset, CUDA shows every GPU: indices 0 to gpu_count - 1.

    Returns:
        The indices, () for none (a CPU run), or None when the list names GPUs by UUID or MIG
        instance (no index to read them by).
    """
    if gpu_count <= 0:
        return ()
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return tuple(range(gpu_count))
    indices: list[int] = []
    for entry in visible.split(","):
        entry = entry.strip()
        if not entry.isdigit():
            # CUDA reads the list up to its first entry that is not a GPU ("-1" hides them all).
            return None if entry.startswith(("GPU-", "MIG-")) else tuple(indices[:gpu_count])
        indices.append(int(entry))
    return tuple(indices[:gpu_count])


class Probe(Protocol):
    """Takes readings of one kind of device; `read` may raise (the sampler records a gap)."""

    kind: str
    gpus: tuple[int, ...]

    def rebase(self) -> None:
        """Start a new window now (a CPU share covers the time since the previous reading)."""

    def read(self) -> Reading: ...

    def close(self) -> None: ...


class CpuProbe:
    """The trainer process: CPU time over wall time and allowed cores, and RSS."""

    kind = "cpu"
    gpus: tuple[int, ...] = ()

    def __init__(
        self,
        process: Any = None,
        clock: Callable[[], float] = time.monotonic,
        cores: int | None = None,
        memory_total: float | None = None,
    ) -> None:
        """Args: process: psutil.Process-like (cpu_times, memory_info); None: this process."""
        self._process = process if process is not None else psutil.Process()
        self._clock = clock
        self._cores = cores or _allowed_cores()
        self._memory_total = memory_total or float(psutil.virtual_memory().total)
        self.rebase()

    def _cpu_seconds(self) -> float:
        times = self._process.cpu_times()
        return float(times.user + times.system)

    def rebase(self) -> None:
        self._since, self._busy = self._clock(), self._cpu_seconds()

    def read(self) -> Reading:
        now, busy = self._clock(), self._cpu_seconds()
        elapsed, used = now - self._since, busy - self._busy
        self._since, self._busy = now, busy
        memory = float(self._process.memory_info().rss)
        if elapsed <= 0:
            return Reading(None, memory, self._memory_total)
        share = 100.0 * used / (elapsed * self._cores)
        return Reading(min(max(share, 0.0), 100.0), memory, self._memory_total)

    def close(self) -> None:
        pass  # Nothing to release: psutil opens /proc files per call.


def _allowed_cores() -> int:
    """Cores this process may run on (its affinity, e.g. under taskset or a SLURM allocation)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


class GpuProbe:
    """NVML utilisation and memory of the GPUs at `gpus`: mean utilisation, summed memory."""

    kind = "gpu"

    def __init__(self, gpus: tuple[int, ...], nvml_module: Any = None) -> None:
        """Args: nvml_module: stands in for `pynvml` (tests/fake_nvml.py); None imports it."""
        self.gpus = gpus
        self._nvml: Any = nvml_module
        self._open = False
        if self._nvml is None:
            try:
                import pynvml  # Lazy, as in gpu.py: the package is optional.
            except ImportError:
                return
            self._nvml = pynvml
        try:
            self._nvml.nvmlInit()
        except self._nvml.NVMLError:
            return
        self._open = True

    def rebase(self) -> None:
        pass  # NVML's utilisation is the driver's own recent average: no window to start.

    def read(self) -> Reading:
        if not self._open or not self.gpus:
            return MISSING
        cards = [self._read_card(index) for index in self.gpus]
        if None in cards:
            return MISSING
        utils = [card[0] for card in cards if card is not None]
        used = [card[1] for card in cards if card is not None]
        total = sum(card[2] or 0.0 for card in cards if card is not None)
        return Reading(
            None if None in utils else sum(u for u in utils if u is not None) / len(utils),
            None if None in used else sum(u for u in used if u is not None),
            total or None,
        )

    def _read_card(self, index: int) -> tuple[float | None, float | None, float | None] | None:
        """(utilisation %, memory used, memory total) of one GPU; None if it is lost."""
        nvml = self._nvml
        try:
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
        except nvml.NVMLError:  # lost, or gone from the bus
            return None
        util = _query(nvml, lambda: float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu))
        memory = _query(nvml, lambda: nvml.nvmlDeviceGetMemoryInfo(handle))
        if memory is None:
            return util, None, None
        return util, float(memory.used), float(memory.total)

    def close(self) -> None:
        if self._open:
            self._open = False
            try:
                self._nvml.nvmlShutdown()
            except self._nvml.NVMLError:
                pass  # An NVML already gone leaves nothing to shut down.


def _query(nvml: Any, read: Callable[[], Any]) -> Any:
    """One NVML query; NotSupported (utilisation under MIG) or any NVML error is None."""
    try:
        return read()
    except nvml.NVMLError:
        return None


class NoProbe:
    """Readings that all fail: a probe could not be set up (every epoch's figures are gaps)."""

    gpus: tuple[int, ...] = ()

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def rebase(self) -> None:
        pass

    def read(self) -> Reading:
        return MISSING

    def close(self) -> None:
        pass
