"""How busy the trainer's devices were in an epoch: `epoch_ended`'s `device_use` table.

The trainer samples its own GPUs (NVML) or, on a CPU, its own process about once a second while
an epoch trains (core/host/telemetry.py); the epoch's line holds the mean and the peak. A reading
that failed (an NVML error, a GPU lost mid-run) is a gap, counted in `missing`, never a zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cifar_tui.core.rundir.fields import finite_number, text_or_none, whole_number

__all__ = ["DEVICE_KINDS", "DeviceUse", "device_use_from"]

DEVICE_KINDS = ("gpu", "cpu")


@dataclass(frozen=True, kw_only=True)
class DeviceUse:
    """One epoch's device readings; a figure no reading gave is None."""

    kind: str
    """"gpu" (NVML readings of the run's GPUs) or "cpu" (the trainer process)."""
    gpus: tuple[int, ...] = ()
    """The NVML indices (as nvidia-smi numbers them) of the GPUs sampled; () on a CPU."""
    util_mean: float | None = None
    """Percent. GPU: NVML utilisation, averaged over the run's GPUs. CPU: the process's CPU time
    over the cores it may use (os.sched_getaffinity), so 100 is every allowed core busy."""
    util_peak: float | None = None
    memory_mean: float | None = None
    """Bytes. GPU: memory used on the run's GPUs (the whole cards, other processes included).
    CPU: the process's resident memory (RSS)."""
    memory_peak: float | None = None
    memory_total: float | None = None
    """Bytes: the GPUs' memory, or the machine's RAM."""
    samples: int = 0
    """Readings taken in the epoch's training time."""
    missing: int = 0
    """Readings of those that failed (no utilisation): gaps, left out of the mean and peak."""

    @property
    def memory_percent_mean(self) -> float | None:
        """`memory_mean` as a percentage of `memory_total`."""
        return _percent(self.memory_mean, self.memory_total)

    @property
    def memory_percent_peak(self) -> float | None:
        """`memory_peak` as a percentage of `memory_total`."""
        return _percent(self.memory_peak, self.memory_total)


def _percent(part: float | None, total: float | None) -> float | None:
    if part is None or not total:
        return None
    return 100.0 * part / total


def _count(value: Any) -> int:
    number = whole_number(value)
    return number if number is not None and number >= 0 else 0


def device_use_from(value: Any) -> DeviceUse | None:
    """The DeviceUse of a `device_use` table as read from JSON; None if it is not one.

    Args:
        value: anything json.loads returned for the field.

    Returns:
        A DeviceUse (each number checked as event fields are: NaN, bools and texts read as
        None), or None for a value that is not a table or has no known `kind`.
    """
    if not isinstance(value, Mapping):
        return None
    kind = text_or_none(value.get("kind"))
    if kind is None or kind not in DEVICE_KINDS:
        return None
    gpus = value.get("gpus")
    indices = [whole_number(item) for item in gpus] if isinstance(gpus, list) else []
    return DeviceUse(
        kind=kind,
        gpus=tuple(index for index in indices if index is not None),
        util_mean=finite_number(value.get("util_mean")),
        util_peak=finite_number(value.get("util_peak")),
        memory_mean=finite_number(value.get("memory_mean")),
        memory_peak=finite_number(value.get("memory_peak")),
        memory_total=finite_number(value.get("memory_total")),
        samples=_count(value.get("samples")),
        missing=_count(value.get("missing")),
    )
