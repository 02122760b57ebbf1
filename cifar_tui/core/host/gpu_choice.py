"""Which GPUs a run trains on: the `devices` setting turned into CUDA's environment, at start.

`auto` picks one GPU from NVML readings (`pick_gpu`, a pure function); indices are checked
against the GPUs NVML sees. Then CUDA_DEVICE_ORDER=PCI_BUS_ID makes TensorFlow number GPUs as
nvidia-smi does, and CUDA_VISIBLE_DEVICES hides the others; both must be set before TensorFlow
is imported (commands/train.py). Once TensorFlow runs, `run_gpus` says which GPUs it trains on,
for `run_started`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass

from cifar_tui.core.devices import DEVICES_FORMS, parse_devices
from cifar_tui.core.errors import UserError
from cifar_tui.core.host.gpu import GpuMonitor, GpuReading, GpuStatus
from cifar_tui.core.rundir.run_gpus import RunGpu

__all__ = ["DeviceChoice", "choose_devices", "pick_gpu", "run_gpus", "set_cuda_devices"]

BUSY_STEP = 10.0
"""Utilisation is compared in steps of this many percent: 3% and 8% are equally idle, and the
one with more free memory wins."""


@dataclass(frozen=True)
class DeviceChoice:
    """What to set before TensorFlow starts, and the line that says what was chosen."""

    visible: str | None
    """CUDA_VISIBLE_DEVICES: "" hides every GPU, "1,3" shows those; None leaves it as it is."""
    message: str = ""
    """One line for the trainer's output ("" when there is nothing worth saying)."""


def free_bytes(gpu: GpuReading) -> int | None:
    if gpu.memory_total_bytes is None or gpu.memory_used_bytes is None:
        return None
    return gpu.memory_total_bytes - gpu.memory_used_bytes


def pick_gpu(gpus: Sequence[GpuReading]) -> GpuReading | None:
    """The least busy GPU, then the one with the most free memory, then the lowest index.

    A GPU whose utilisation or memory NVML cannot read ranks as busy or full; one whose handle
    failed (lost) is never picked. None when there is no GPU to pick.
    """
    usable = [gpu for gpu in gpus if gpu.memory_total_bytes is not None]

    def rank(gpu: GpuReading) -> tuple[float, int, int]:
        busy = 100.0 if gpu.utilization_percent is None else gpu.utilization_percent
        return (busy // BUSY_STEP, -(free_bytes(gpu) or 0), gpu.index)

    return min(usable, key=rank, default=None)


def _describe(gpu: GpuReading) -> str:
    free = free_bytes(gpu)
    parts = [gpu.name]
    if free is not None:
        parts.append(f"{free / 1024**3:.1f} GiB free")
    if gpu.utilization_percent is not None:
        parts.append(f"{gpu.utilization_percent:.0f}% busy")
    return f"GPU {gpu.index} ({', '.join(parts)})"


def choose_devices(
    devices: str, strategy: str, status: GpuStatus, preset_visible: str | None
) -> DeviceChoice:
    """What `devices` means on this machine.

    Args:
        devices: the config's setting (already validated).
        strategy: the config's; `auto` picks one GPU for one-device, and leaves every GPU to
            mirrored and multi-worker (one replica per GPU).
        status: NVML's reading of this machine's GPUs (none: NVML cannot tell).
        preset_visible: CUDA_VISIBLE_DEVICES as the environment had it (SLURM sets it per task),
            which `auto` respects.

    Raises:
        UserError: an index that NVML says this machine does not have.
    """
    chosen = parse_devices(devices)
    if chosen == "cpu":
        return DeviceChoice("", "devices cpu: every GPU hidden, training on the CPU")
    if isinstance(chosen, tuple):
        known = [gpu.index for gpu in status.gpus]
        missing = [index for index in chosen if index not in known]
        if status.gpus and missing:
            have = ", ".join(str(index) for index in known)
            raise UserError(
                f"devices {devices}: this machine has no GPU {missing[0]} (NVML sees GPU "
                f"{have}; nvidia-smi lists them); devices takes {DEVICES_FORMS}"
            )
        return DeviceChoice(",".join(str(index) for index in chosen))
    if preset_visible is not None or strategy != "one-device":
        return DeviceChoice(None)  # SLURM's or the user's choice, or every GPU for its replicas
    best = pick_gpu(status.gpus)
    if best is None:  # no GPU (or none NVML can read): TensorFlow finds what it finds, quietly
        return DeviceChoice(None)
    return DeviceChoice(str(best.index), f"devices auto: {_describe(best)}")


def set_cuda_devices(
    devices: str,
    strategy: str,
    environ: MutableMapping[str, str] | None = None,
    monitor: Callable[[], GpuMonitor] = GpuMonitor,
) -> DeviceChoice:
    """Choose and set CUDA_DEVICE_ORDER and CUDA_VISIBLE_DEVICES; before TensorFlow is imported.

    NVML is read only when the choice needs it (not for `cpu`).
    """
    env = os.environ if environ is None else environ
    status = GpuStatus(())
    if devices.strip() != "cpu":
        with monitor() as reader:
            status = reader.read()
    choice = choose_devices(devices, strategy, status, env.get("CUDA_VISIBLE_DEVICES"))
    env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
    if choice.visible is not None:
        env["CUDA_VISIBLE_DEVICES"] = choice.visible
    return choice


def run_gpus(tensorflow_gpus: int, visible: str | None, status: GpuStatus) -> tuple[RunGpu, ...]:
    """The GPUs TensorFlow trains on, in its order, named by NVML.

    Args:
        tensorflow_gpus: how many GPUs the run uses (0 on the CPU; one-device uses the first).
        visible: CUDA_VISIBLE_DEVICES (indices or UUIDs), None when unset: every GPU, in
            PCI bus order as NVML numbers them.
        status: NVML's reading.
    """
    by_index = {gpu.index: gpu for gpu in status.gpus}
    by_uuid = {gpu.uuid: gpu for gpu in status.gpus if gpu.uuid}
    if visible is None:
        shown: list[GpuReading | None] = list(status.gpus)
    else:
        items = [item.strip() for item in visible.split(",") if item.strip()]
        shown = [
            by_index.get(int(item)) if item.isdecimal() else by_uuid.get(item) for item in items
        ]
    gpus = []
    for position in range(tensorflow_gpus):
        gpu = shown[position] if position < len(shown) else None
        if gpu is None:  # TensorFlow sees a GPU that NVML did not name
            gpus.append(RunGpu(None))
        else:
            gpus.append(RunGpu(gpu.index, gpu.name, gpu.uuid))
    return tuple(gpus)
