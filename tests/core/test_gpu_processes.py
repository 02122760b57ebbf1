"""Which process is on which GPU: NVML's process lists, our runs through their locks, /proc."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_nvml import GIB, FakeGpu, FakeNvml, FakeProcess, NVMLError_DriverNotLoaded
from fake_proc import HOST, add_locked_run, add_process

from cifar_tui.core.host.gpu import GpuMonitor, GpuProcess, GpuReading, GpuStatus
from cifar_tui.core.host.gpu_processes import ProcessLabel, ProcessNamer, in_container


def reading(index: int, *processes: GpuProcess) -> GpuReading:
    return GpuReading(index, "G", 0.0, 0, GIB, None, None, None, None, tuple(processes))


def namer(models: Path | None, proc: Path, container: bool = False) -> ProcessNamer:
    return ProcessNamer(models, proc, host=lambda: HOST, container=container)


def test_monitor_lists_compute_and_graphics_processes_once() -> None:
    card = FakeGpu(
        processes=[FakeProcess(11, 2 * GIB), FakeProcess(12, None)],
        graphics_processes=[FakeProcess(11, GIB), FakeProcess(13, GIB)],
    )
    status = GpuMonitor(nvml_module=FakeNvml([card, FakeGpu()])).read()
    assert status.gpus[0].processes == (
        GpuProcess(11, 2 * GIB, "compute"),
        GpuProcess(12, None, "compute"),  # NVML could not say how much
        GpuProcess(13, GIB, "graphics"),
    )
    assert status.gpus[1].processes == ()


def test_processes_nvml_cannot_list_are_none_not_an_error() -> None:
    status = GpuMonitor(nvml_module=FakeNvml([FakeGpu(unsupported={"processes", "uuid"})])).read()
    assert (status.gpus[0].processes, status.gpus[0].uuid) == (None, None)


def test_a_driver_too_old_for_the_process_call_is_no_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    class NVMLLibraryMismatchError(Exception):  # pynvml's, which is not an NVMLError
        pass

    nvml = FakeNvml([FakeGpu(processes=[FakeProcess(1)])])

    def old_driver(handle: FakeGpu) -> list[FakeProcess]:
        raise NVMLLibraryMismatchError("use a versioned function")

    monkeypatch.setattr(nvml, "nvmlDeviceGetComputeRunningProcesses", old_driver)
    status = GpuMonitor(nvml_module=nvml).read()
    assert status.gpus[0].processes == ()  # the graphics list still answered
    monkeypatch.setattr(nvml, "nvmlDeviceGetGraphicsRunningProcesses", old_driver)
    assert GpuMonitor(nvml_module=nvml).read().gpus[0].processes is None


def test_two_gpus_our_run_on_one_another_users_process_on_the_other(tmp_path: Path) -> None:
    proc, models = tmp_path / "proc", tmp_path / "models"
    add_process(proc, 700, ["/usr/bin/python3", "-m", "cifar_tui", "train"], uid=0)
    add_process(proc, 800, ["python", "their_model.py", "--big"], uid=0)
    add_locked_run(models, "2026-12-04_recipe", 700)
    add_locked_run(models, "elsewhere", 800, host="other-host")  # same pid, another machine
    add_locked_run(models, "stale", 999)  # a pid not on any GPU
    (models / "not-a-run").mkdir()
    status = GpuStatus(
        (reading(0, GpuProcess(700, 3 * GIB)), reading(1, GpuProcess(800, 20 * GIB)))
    )
    labels = namer(models, proc).label(status)
    assert labels == {
        0: (ProcessLabel(700, 3 * GIB, "2026-12-04_recipe"),),
        1: (ProcessLabel(800, 20 * GIB, None, "root", "python their_model.py --big"),),
    }
    assert labels[0][0].describe() == "run 2026-12-04_recipe"
    assert labels[1][0].describe() == "pid 800 root python their_model.py --big"


def test_largest_first_and_gpus_nvml_cannot_list_are_left_out(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    for pid in (1, 2, 3):
        add_process(proc, pid, [f"job{pid}"])
    unlisted = GpuReading(1, "G", 0.0, 0, GIB, None, None, None, None, None)
    status = GpuStatus(
        (reading(0, GpuProcess(1, GIB), GpuProcess(2, None), GpuProcess(3, 5 * GIB)), unlisted)
    )
    labels = namer(None, proc).label(status)
    assert [label.pid for label in labels[0]] == [3, 1, 2]
    assert list(labels) == [0]


def test_no_processes_reads_nothing(tmp_path: Path) -> None:
    # Nothing on any GPU: neither the models folder nor /proc is read (both are missing here).
    assert namer(tmp_path / "nope", tmp_path / "nope").label(GpuStatus((reading(0),))) == {}


def test_container_host_pids(tmp_path: Path) -> None:
    """NVML gives host pids; /proc (an outer namespace's) maps them through NSpid, or cannot."""
    proc, models = tmp_path / "proc", tmp_path / "models"
    add_process(proc, 4321, ["python", "-m", "cifar_tui", "train"], nspid=[4321, 12])
    add_locked_run(models, "in-container", 12)  # the trainer wrote its own namespace's pid
    add_process(proc, 55, ["bash"], on_gpu=False)  # a namesake of host pid 55: no GPU open
    add_process(proc, 5000, ["python", "mine.py"], nspid=[5000, 40])
    status = GpuStatus(
        (reading(0, GpuProcess(4321, GIB), GpuProcess(9999, GIB), GpuProcess(55, GIB)),
         reading(1, GpuProcess(5000, GIB)))
    )  # fmt: skip
    labels = namer(models, proc, container=True).label(status)
    assert [label.describe() for label in labels[0]] == [
        "run in-container",
        "host pid 9999 (not in this container)",
        "host pid 55 (not in this container)",
    ]
    assert labels[1][0].describe() == "pid 5000 root python mine.py"


def test_outside_a_container_a_missing_pid_is_just_not_visible(tmp_path: Path) -> None:
    status = GpuStatus((reading(0, GpuProcess(31337, None)),))
    label = namer(None, tmp_path).label(status)[0][0]
    assert label.describe() == "pid 31337 (not visible)"


def test_a_process_without_cmdline_shows_its_short_name(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    add_process(proc, 9, ["Xorg"], uid=4242)  # no such user: the uid itself
    (proc / "9" / "cmdline").write_bytes(b"")
    label = namer(None, proc).label(GpuStatus((reading(0, GpuProcess(9, GIB)),)))[0][0]
    assert label.describe() == "pid 9 4242 Xorg"


@pytest.mark.parametrize(
    ("files", "expected"),
    [({}, False), ({".dockerenv": ""}, True), ({"run/.containerenv": ""}, True),
     ({"proc/1/cgroup": "0::/kubepods/besteffort/pod1\n"}, True),
     ({"proc/1/cgroup": "0::/init.scope\n"}, False)],
)  # fmt: skip
def test_in_container(tmp_path: Path, files: dict[str, str], expected: bool) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert in_container(tmp_path / "proc", tmp_path) is expected


def test_a_gpu_that_disappears_mid_run_is_data_and_comes_back() -> None:
    nvml = FakeNvml.with_gpus(2)
    nvml.gpus[1].processes = [FakeProcess(77, GIB)]
    monitor = GpuMonitor(nvml_module=nvml)
    assert monitor.read().gpus[1].processes == (GpuProcess(77, GIB),)
    nvml.gpus[1].unsupported = {"handle"}  # GPU 1 falls off the bus
    lost = monitor.read().gpus[1]
    assert (lost.name, lost.processes, lost.memory_total_bytes) == (
        "GPU 1 (GPU is lost)",
        None,
        None,
    )
    nvml.count_error = NVMLError_DriverNotLoaded()  # then the driver loses every card
    status = monitor.read()
    assert status.gpus == ()
    assert (
        status.unavailable_reason
        == "no NVIDIA GPU: NVML could not count devices (Driver Not Loaded)"
    )
    nvml.count_error, nvml.gpus[1].unsupported = None, set()  # and they come back
    assert monitor.read().gpus[1].processes == (GpuProcess(77, GIB),)
