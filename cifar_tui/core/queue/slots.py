"""Which queued runs start now: one run per GPU slot (`per_gpu` share one), one on a CPU.

A pure function of what waits and what runs (table tests: tests/core/test_queue_slots.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Plan", "Waiting", "devices_used", "parse_devices", "plan_starts"]

Device = int | str
"""A GPU index, or "cpu"."""


def parse_devices(value: object) -> str | tuple[int, ...]:
    """A config's `devices` as "auto", "cpu" or GPU indices; anything unreadable is "auto".

    Args:
        value: the field's value: "auto", "cpu", "0,1", "1", or a list of ints.
    """
    if isinstance(value, list | tuple):
        items = [str(item) for item in value]
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [str(value)]
    elif isinstance(value, str):
        if value.strip().lower() in ("auto", "cpu", ""):
            return value.strip().lower() or "auto"
        items = value.split(",")
    else:
        return "auto"
    try:
        indices = tuple(int(item) for item in items)
    except ValueError:
        return "auto"
    return indices if indices and min(indices) >= 0 else "auto"


def devices_used(devices: object, strategy: str, gpus: int) -> tuple[Device, ...]:
    """The devices a run occupies: "auto" on a GPU machine is GPU 0, or every GPU if mirrored.

    Args:
        devices: the run's `devices` config value.
        strategy: its `strategy` ("mirrored" spreads "auto" over every GPU).
        gpus: GPUs on this machine (0: everything runs on the CPU).
    """
    wanted = parse_devices(devices)
    if gpus == 0 or wanted == "cpu":
        return ("cpu",)
    if wanted == "auto":
        return tuple(range(gpus)) if strategy != "one-device" else (0,)
    return wanted if isinstance(wanted, tuple) else (0,)


@dataclass(frozen=True)
class Waiting:
    """A queued run, as the slot planner sees it."""

    name: str
    devices: object
    """Its config's `devices` ("auto" where the config has none)."""
    strategy: str = "one-device"


@dataclass(frozen=True)
class Plan:
    """What to do now."""

    start: list[tuple[str, str | None]]
    """(run name, devices to give its trainer: the GPU "auto" picked, else None = as queued)."""
    impossible: list[tuple[str, str]]
    """(run name, why it can never start on this machine)."""


def plan_starts(
    waiting: Sequence[Waiting], running: Sequence[tuple[Device, ...]], gpus: int, per_gpu: int = 1
) -> Plan:
    """Pick the queued runs that start now, first come first served.

    A run that cannot start keeps the devices it waits for from the runs behind it (so a run
    pinned to GPU 1 is not overtaken there), while runs behind it may use other free devices.

    Args:
        waiting: queued runs in queue order.
        running: the devices of each trainer running now (see `devices_used`).
        gpus: GPUs on this machine; 0 = CPU only, where one run trains at a time.
        per_gpu: runs sharing one GPU.

    Returns:
        The plan.
    """
    load: Counter[Device] = Counter(device for use in running for device in use)
    reserved: set[Device] = set()
    start: list[tuple[str, str | None]] = []
    impossible: list[tuple[str, str]] = []

    def free(device: Device) -> bool:
        capacity = 1 if device == "cpu" else per_gpu
        return device not in reserved and load[device] < capacity

    for run in waiting:
        wanted = parse_devices(run.devices)
        if gpus == 0 and isinstance(wanted, tuple):
            impossible.append((run.name, f"asks for GPU {_listed(wanted)}; this machine has none"))
            continue
        if isinstance(wanted, tuple) and max(wanted) >= gpus:
            why = f"asks for GPU {_listed(wanted)}; this machine has GPUs 0-{gpus - 1}"
            impossible.append((run.name, why))
            continue
        need, chosen = _need(run, wanted, gpus, free, load)
        if need and all(free(device) for device in need):
            load.update(need)
            start.append((run.name, chosen))
        else:
            reserved.update(need or range(gpus))
    return Plan(start, impossible)


def _need(
    run: Waiting,
    wanted: str | tuple[int, ...],
    gpus: int,
    free: Callable[[Device], bool],
    load: Counter[Device],
) -> tuple[tuple[Device, ...], str | None]:
    """The devices `run` would take now, and the devices value to hand its trainer."""
    if gpus == 0 or wanted == "cpu":
        return ("cpu",), None
    if isinstance(wanted, tuple):
        return tuple(wanted), None
    if run.strategy != "one-device":  # "auto" over every GPU
        return tuple(range(gpus)), None
    candidates = [index for index in range(gpus) if free(index)]
    if not candidates:
        return (), None
    best = min(candidates, key=lambda index: (load[index], index))
    return (best,), str(best)


def _listed(indices: tuple[int, ...]) -> str:
    return ",".join(map(str, indices))
