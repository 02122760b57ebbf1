"""`devices` on a machine: the `auto` pick, CUDA's environment, and the run's recorded GPUs."""

from __future__ import annotations

import pytest
from fake_nvml import GIB, FakeGpu, FakeNvml, NVMLError_LibraryNotFound

from cifar_tui.core.errors import UserError
from cifar_tui.core.host.gpu import GpuMonitor, GpuReading, GpuStatus
from cifar_tui.core.host.gpu_choice import choose_devices, pick_gpu, run_gpus, set_cuda_devices
from cifar_tui.core.rundir.run_gpus import RunGpu


def gpu(index: int, busy: float | None, free_gib: float | None, total_gib: int = 80) -> GpuReading:
    total = total_gib * GIB
    used = None if free_gib is None else total - int(free_gib * GIB)
    return GpuReading(
        index, f"GPU{index}", busy, used, None if free_gib is None else total, 50.0, 100.0, 300.0,
        uuid=f"GPU-{index}",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("gpus", "picked"),
    [
        ([], None),  # no GPU: the CPU
        ([gpu(0, 90, 70), gpu(1, 5, 10)], 1),  # least busy first, even with less memory
        ([gpu(0, 3, 10), gpu(1, 8, 70)], 1),  # 3% and 8% are equally idle: more memory wins
        ([gpu(0, 0, 40), gpu(1, 0, 40)], 0),  # a full tie: the lowest index
        ([gpu(0, 100, 1), gpu(1, 100, 5), gpu(2, 100, 2)], 1),  # all busy: most free memory
        ([gpu(0, None, 70), gpu(1, 50, 10)], 1),  # unreadable load ranks as busy
        ([gpu(0, 0, None), gpu(1, 99, 1)], 1),  # unreadable memory (a lost GPU): never picked
        ([gpu(0, 0, None)], None),  # only a lost GPU: the CPU
    ],
    ids=["none", "busy", "idle-tie", "full-tie", "all-busy", "no-util", "lost", "only-lost"],
)
def test_pick_gpu(gpus: list[GpuReading], picked: int | None) -> None:
    best = pick_gpu(gpus)
    assert (best.index if best else None) == picked
    assert pick_gpu(list(reversed(gpus))) == best  # the order NVML lists them does not matter


TWO = GpuStatus((gpu(0, 80, 20), gpu(1, 2, 70)))
NONE = GpuStatus((), "no NVIDIA GPU: NVML library not found")


@pytest.mark.parametrize(
    ("devices", "strategy", "status", "preset", "visible", "message"),
    [
        ("cpu", "one-device", TWO, None, "", "devices cpu: every GPU hidden, training on the CPU"),
        ("cpu", "mirrored", NONE, "0", "", "devices cpu: every GPU hidden, training on the CPU"),
        ("1", "one-device", TWO, None, "1", ""),
        ("1,0", "mirrored", TWO, "0", "1,0", ""),  # given indices replace SLURM's
        ("3", "one-device", NONE, None, "3", ""),  # NVML cannot tell: TensorFlow will
        ("auto", "one-device", TWO, None, "1",
         "devices auto: GPU 1 (GPU1, 70.0 GiB free, 2% busy)"),
        ("auto", "one-device", NONE, None, None, ""),  # CPU-only: quiet
        ("auto", "one-device", TWO, "0", None, ""),  # SLURM's (or the user's) choice stands
        ("auto", "mirrored", TWO, None, None, ""),  # every GPU: one replica each
        ("auto", "multi-worker", TWO, None, None, ""),
    ],
)  # fmt: skip
def test_choose_devices(
    devices: str,
    strategy: str,
    status: GpuStatus,
    preset: str | None,
    visible: str | None,
    message: str,
) -> None:
    choice = choose_devices(devices, strategy, status, preset)
    assert (choice.visible, choice.message) == (visible, message)


def test_an_index_the_machine_lacks_is_refused_at_start() -> None:
    with pytest.raises(UserError) as raised:
        choose_devices("1,3", "mirrored", TWO, None)
    assert str(raised.value) == (
        "devices 1,3: this machine has no GPU 3 (NVML sees GPU 0, 1; nvidia-smi lists them); "
        "devices takes auto, cpu, or GPU indices like 0 or 1,3"
    )


def _monitor(nvml: FakeNvml) -> GpuMonitor:
    return GpuMonitor(nvml_module=nvml)


def test_set_cuda_devices_writes_the_environment() -> None:
    nvml = FakeNvml([FakeGpu(utilization_percent=90), FakeGpu(utilization_percent=0)])
    env: dict[str, str] = {"CUDA_DEVICE_ORDER": "FASTEST_FIRST"}
    choice = set_cuda_devices("auto", "one-device", env, lambda: _monitor(nvml))
    assert env == {"CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": "1"}
    assert choice.message.startswith("devices auto: GPU 1 (NVIDIA H100 80GB HBM3, 50.0 GiB free")
    assert nvml.shutdown_calls == 1  # NVML is closed again before TensorFlow starts


def test_cpu_hides_every_gpu_without_reading_nvml() -> None:
    env: dict[str, str] = {"CUDA_VISIBLE_DEVICES": "0"}

    def no_nvml() -> GpuMonitor:
        raise AssertionError("NVML read for devices=cpu")

    set_cuda_devices("cpu", "one-device", env, no_nvml)
    assert env == {"CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": ""}


def test_auto_without_nvml_changes_nothing_but_the_order() -> None:
    env: dict[str, str] = {}
    nvml = FakeNvml(init_error=NVMLError_LibraryNotFound())
    choice = set_cuda_devices("auto", "one-device", env, lambda: _monitor(nvml))
    assert env == {"CUDA_DEVICE_ORDER": "PCI_BUS_ID"} and choice.message == ""


THREE = GpuStatus((gpu(0, 0, 1), gpu(1, 0, 1), gpu(2, 0, 1)))


@pytest.mark.parametrize(
    ("count", "visible", "status", "gpus"),
    [
        (0, "", THREE, ()),  # devices cpu
        (0, None, THREE, ()),  # TensorFlow without CUDA: the CPU, whatever NVML sees
        (1, "2", THREE, (RunGpu(2, "GPU2", "GPU-2"),)),
        (2, "2,0", THREE, (RunGpu(2, "GPU2", "GPU-2"), RunGpu(0, "GPU0", "GPU-0"))),
        (3, None, THREE, tuple(RunGpu(i, f"GPU{i}", f"GPU-{i}") for i in range(3))),
        (1, "GPU-1", THREE, (RunGpu(1, "GPU1", "GPU-1"),)),  # SLURM may list UUIDs
        (1, "0", NONE, (RunGpu(None),)),  # NVML cannot name what TensorFlow uses
        (2, "5", THREE, (RunGpu(None), RunGpu(None))),
    ],
)
def test_run_gpus(
    count: int, visible: str | None, status: GpuStatus, gpus: tuple[RunGpu, ...]
) -> None:
    assert run_gpus(count, visible, status) == gpus
