"""Device telemetry: an epoch's mean and peak, the process's GPUs, the probes and the sampler."""

from __future__ import annotations

import io
import threading
import time
from contextlib import redirect_stderr
from types import SimpleNamespace
from typing import Any

import pytest
from fake_nvml import GIB, FakeGpu, FakeNvml, NVMLError_LibraryNotFound

from cifar_tui.core.host.device_sampler import DeviceSampler, start_device_sampler
from cifar_tui.core.host.telemetry import (
    MIN_LAST_WINDOW,
    MISSING,
    CpuProbe,
    GpuProbe,
    Reading,
    process_gpus,
    summarize,
)
from cifar_tui.core.rundir.device_use import DeviceUse, device_use_from
from cifar_tui.core.rundir.event_types import EpochEnded, event_from_dict

# --- the mean and peak of an epoch's readings -----------------------------------------------


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        pytest.param(
            [],
            {"util_mean": None, "util_peak": None, "memory_mean": None, "memory_peak": None,
             "memory_total": None, "samples": 0, "missing": 0},
            id="empty-epoch",
        ),
        pytest.param(
            [Reading(42.0, 1000.0, 4000.0)],
            {"util_mean": 42.0, "util_peak": 42.0, "memory_mean": 1000, "memory_peak": 1000,
             "memory_total": 4000, "samples": 1, "missing": 0},
            id="one-sample",
        ),
        pytest.param(
            [Reading(10.0, 100.0), Reading(20.0, 300.0), Reading(60.0, 200.0)],
            {"util_mean": 30.0, "util_peak": 60.0, "memory_mean": 200, "memory_peak": 300,
             "memory_total": None, "samples": 3, "missing": 0},
            id="three-samples",
        ),
        pytest.param(
            [Reading(90.0, 5.0), MISSING, Reading(30.0, 7.0), MISSING],
            {"util_mean": 60.0, "util_peak": 90.0, "memory_mean": 6, "memory_peak": 7,
             "memory_total": None, "samples": 4, "missing": 2},
            id="nvml-errors-are-gaps-not-zeros",
        ),
        pytest.param(
            [MISSING, MISSING],
            {"util_mean": None, "util_peak": None, "memory_mean": None, "memory_peak": None,
             "memory_total": None, "samples": 2, "missing": 2},
            id="every-reading-failed",
        ),
        pytest.param(
            [Reading(None, 500.0, 1000.0), Reading(50.0, None, 1000.0)],
            {"util_mean": 50.0, "util_peak": 50.0, "memory_mean": 500, "memory_peak": 500,
             "memory_total": 1000, "samples": 2, "missing": 1},
            id="utilisation-unsupported-memory-read",
        ),
        pytest.param(
            [Reading(33.33, 1.0), Reading(33.34, 2.0), Reading(33.35, 2.0)],
            {"util_mean": 33.3, "util_peak": 33.4, "memory_mean": 2, "memory_peak": 2,
             "memory_total": None, "samples": 3, "missing": 0},
            id="rounded",
        ),
    ],
)  # fmt: skip
def test_an_epochs_mean_and_peak(readings: list[Reading], expected: dict[str, Any]) -> None:
    summary = summarize("gpu", readings, gpus=(1,))
    assert summary == {"kind": "gpu", "gpus": [1], **expected}


def test_a_summary_reads_back_as_the_epochs_device_use() -> None:
    table = summarize("cpu", [Reading(25.0, 2 * GIB, 16 * GIB), Reading(75.0, 4 * GIB, 16 * GIB)])
    line = {"type": "epoch_ended", "epoch": 3, "loss": 1.0, "device_use": table}
    event = event_from_dict(line)
    assert isinstance(event, EpochEnded)
    assert event.device_use == DeviceUse(
        kind="cpu", util_mean=50.0, util_peak=75.0, memory_mean=3 * GIB, memory_peak=4 * GIB,
        memory_total=16 * GIB, samples=2, missing=0,
    )  # fmt: skip
    assert event.device_use.memory_percent_peak == 25.0
    assert not event.extra  # a known field, not a newer writer's


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, None, id="an-older-trainer-wrote-none"),
        pytest.param("gpu", None, id="not-a-table"),
        pytest.param({"kind": "tpu", "util_mean": 5}, None, id="unknown-kind"),
        pytest.param({"util_mean": 5}, None, id="no-kind"),
        pytest.param(
            {"kind": "gpu", "gpus": [0, "x", 2.0, True], "util_mean": float("nan"),
             "util_peak": True, "memory_mean": "1", "samples": -3, "missing": 1.5},
            DeviceUse(kind="gpu", gpus=(0, 2)),
            id="bad-numbers-read-as-none",
        ),
        pytest.param(
            {"kind": "gpu", "gpus": [3], "util_mean": 80, "util_peak": 99, "samples": 9,
             "missing": 1, "newer_field": 1},
            DeviceUse(kind="gpu", gpus=(3,), util_mean=80.0, util_peak=99.0, samples=9, missing=1),
            id="whole-numbers-and-a-newer-field",
        ),
    ],
)  # fmt: skip
def test_device_use_is_read_as_untrusted(value: Any, expected: DeviceUse | None) -> None:
    assert device_use_from(value) == expected
    event = event_from_dict({"type": "epoch_ended", "epoch": 1, "device_use": value})
    assert isinstance(event, EpochEnded) and event.device_use == expected


# --- which GPUs are the process's -----------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "visible", "expected"),
    [
        pytest.param(0, None, (), id="cpu-run"),
        pytest.param(0, "0,1", (), id="cpu-run-where-gpus-are-visible"),
        pytest.param(2, None, (0, 1), id="all-gpus-shown"),
        pytest.param(2, "3,1", (3, 1), id="visible-list-in-cuda-order"),
        pytest.param(1, "2, 5", (2,), id="tensorflow-uses-fewer"),
        pytest.param(2, "1,-1,2", (1,), id="cuda-stops-at-an-invalid-entry"),
        pytest.param(1, "GPU-8d2c1e7e-aaaa-bbbb-cccc-123456789abc", None, id="uuid"),
        pytest.param(1, "MIG-5f1a", None, id="mig-instance"),
    ],
)
def test_the_process_gpus_in_nvml_numbering(
    count: int, visible: str | None, expected: tuple[int, ...] | None
) -> None:
    environ = {"CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    if visible is not None:
        environ["CUDA_VISIBLE_DEVICES"] = visible
    assert process_gpus(count, environ) == expected


# --- the probes --------------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeProcess:
    """psutil.Process's cpu_times and memory_info, set by the test."""

    def __init__(self) -> None:
        self.user, self.system, self.rss = 10.0, 2.0, 500 * 1024**2

    def cpu_times(self) -> SimpleNamespace:
        return SimpleNamespace(user=self.user, system=self.system)

    def memory_info(self) -> SimpleNamespace:
        return SimpleNamespace(rss=self.rss)


@pytest.mark.parametrize(
    ("seconds", "cpu_seconds", "util"),
    [
        pytest.param(1.0, 2.0, 50.0, id="two-of-four-cores"),
        pytest.param(2.0, 8.0, 100.0, id="every-allowed-core"),
        pytest.param(1.0, 9.0, 100.0, id="over-allowed-cores-clamped"),
        pytest.param(1.0, 0.0, 0.0, id="idle"),
        pytest.param(0.0, 0.0, None, id="no-time-passed"),
    ],
)
def test_the_cpu_share_is_of_the_cores_the_process_may_use(
    seconds: float, cpu_seconds: float, util: float | None
) -> None:
    clock, process = FakeClock(), FakeProcess()
    probe = CpuProbe(process, clock, cores=4, memory_total=8 * GIB)
    clock.now += seconds
    process.user += cpu_seconds * 0.75
    process.system += cpu_seconds * 0.25
    process.rss = 600 * 1024**2
    assert probe.read() == Reading(util, 600 * 1024**2, 8 * GIB)


def test_the_cpu_share_covers_the_time_since_the_previous_reading_or_rebase() -> None:
    clock, process = FakeClock(), FakeProcess()
    probe = CpuProbe(process, clock, cores=2, memory_total=GIB)
    clock.now += 1.0
    process.user += 2.0
    assert probe.read().util == 100.0
    clock.now += 1.0
    process.user += 0.5
    assert probe.read().util == 25.0
    process.user += 5.0  # between epochs: not the next epoch's
    probe.rebase()
    clock.now += 1.0
    process.user += 1.0
    assert probe.read().util == 50.0


def test_a_real_cpu_probe_reads_this_process() -> None:
    probe = CpuProbe()
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # busy: some share of one core
        pass
    reading = probe.read()
    assert reading.util is not None and 0.0 < reading.util <= 100.0
    assert reading.memory is not None and reading.memory_total is not None
    assert 10 * 1024**2 < reading.memory < reading.memory_total


def test_a_gpu_probe_averages_utilisation_and_sums_memory_of_its_gpus() -> None:
    nvml = FakeNvml([
        FakeGpu(utilization_percent=90, memory_used_bytes=10 * GIB, memory_total_bytes=80 * GIB),
        FakeGpu(utilization_percent=5, memory_used_bytes=70 * GIB, memory_total_bytes=80 * GIB),
        FakeGpu(utilization_percent=40, memory_used_bytes=20 * GIB, memory_total_bytes=40 * GIB),
    ])  # fmt: skip
    probe = GpuProbe((0, 2), nvml)  # GPU 1 is another user's
    assert probe.read() == Reading(65.0, 30 * GIB, 120 * GIB)
    probe.close()
    probe.close()
    assert nvml.init_calls == 1 and nvml.shutdown_calls == 1
    assert probe.read() == MISSING  # after close


@pytest.mark.parametrize(
    ("unsupported", "expected"),
    [
        pytest.param(set(), Reading(50.0, 40 * GIB, 160 * GIB), id="both-read"),
        pytest.param({"utilization"}, Reading(None, 40 * GIB, 160 * GIB), id="mig-no-util"),
        pytest.param({"memory"}, Reading(50.0, None, 80 * GIB), id="memory-unsupported"),
        pytest.param({"handle"}, MISSING, id="gpu-lost"),
    ],
)
def test_a_gpu_that_cannot_report_is_a_gap(unsupported: set[str], expected: Reading) -> None:
    nvml = FakeNvml([FakeGpu(utilization_percent=60, memory_used_bytes=20 * GIB),
                     FakeGpu(utilization_percent=40, memory_used_bytes=20 * GIB)])  # fmt: skip
    nvml.gpus[1].unsupported = unsupported
    assert GpuProbe((0, 1), nvml).read() == expected


def test_without_nvml_every_gpu_reading_is_a_gap() -> None:
    probe = GpuProbe((0,), FakeNvml(init_error=NVMLError_LibraryNotFound()))
    assert probe.read() == MISSING
    probe.close()  # nothing to shut down


# --- the sampler ---------------------------------------------------------------------------------


class ScriptedProbe:
    """Returns the readings given, in order; an exception in the list is raised."""

    kind = "gpu"
    gpus = (0,)

    def __init__(self, *readings: Reading | Exception) -> None:
        self.readings = list(readings)
        self.rebased = 0
        self.closed = 0

    def rebase(self) -> None:
        self.rebased += 1

    def read(self) -> Reading:
        item = self.readings.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def close(self) -> None:
        self.closed += 1


def test_an_epoch_holds_the_readings_between_its_begin_and_end() -> None:
    clock = FakeClock()
    probe = ScriptedProbe(Reading(99.0, 9.0), Reading(20.0, 1.0), Reading(40.0, 3.0))
    sampler = DeviceSampler(probe, clock=clock, thread=False)
    sampler.sample()  # before the epoch (model building): left out
    sampler.begin_epoch()
    assert probe.rebased == 1
    clock.now += 1.0
    sampler.sample()
    clock.now += 1.0
    sampler.sample()
    clock.now += MIN_LAST_WINDOW / 2  # the latest reading is recent: no last one
    use = sampler.end_epoch()
    assert (use["util_mean"], use["util_peak"], use["samples"]) == (30.0, 40.0, 2)
    assert probe.readings == []


def test_an_epoch_shorter_than_a_reading_still_gets_one() -> None:
    clock = FakeClock()
    sampler = DeviceSampler(ScriptedProbe(Reading(70.0, 5.0)), clock=clock, thread=False)
    sampler.begin_epoch()
    clock.now += 0.05
    use = sampler.end_epoch()
    assert (use["util_mean"], use["util_peak"], use["samples"], use["missing"]) == (70, 70, 1, 0)


def test_a_reading_that_raises_is_a_gap_and_told_once() -> None:
    clock = FakeClock()
    probe = ScriptedProbe(RuntimeError("driver gone"), Reading(80.0, 1.0), OSError("again"))
    sampler = DeviceSampler(probe, clock=clock, thread=False)
    sampler.begin_epoch()
    log = io.StringIO()
    with redirect_stderr(log):
        for _ in range(3):
            clock.now += 1.0
            sampler.sample()
        use = sampler.end_epoch()  # the last reading is recent
    assert (use["util_mean"], use["samples"], use["missing"]) == (80.0, 3, 2)
    assert log.getvalue().count("device reading failed") == 1
    assert "driver gone" in log.getvalue()


def test_a_gpu_that_disappears_mid_run_leaves_gaps_then_readings_again() -> None:
    nvml = FakeNvml([FakeGpu(utilization_percent=80)])
    clock = FakeClock()
    sampler = DeviceSampler(GpuProbe((0,), nvml), clock=clock, thread=False)
    sampler.begin_epoch()
    for lost in (False, True, True, False):
        nvml.gpus[0].unsupported = {"handle"} if lost else set()
        clock.now += 1.0
        sampler.sample()
    use = sampler.end_epoch()
    assert (use["util_mean"], use["samples"], use["missing"]) == (80.0, 4, 2)
    nvml.gpus = []  # gone from the bus: NVML refuses the index
    sampler.begin_epoch()
    clock.now += 1.0
    use = sampler.end_epoch()
    assert (use["util_mean"], use["samples"], use["missing"]) == (None, 1, 1)


def test_the_thread_reads_about_each_interval_until_closed() -> None:
    nvml = FakeNvml([FakeGpu(utilization_percent=30)])
    with DeviceSampler(GpuProbe((0,), nvml), interval=0.01) as sampler:
        sampler.begin_epoch()
        time.sleep(0.3)
        use = sampler.end_epoch()
    assert 5 <= use["samples"] <= 31 and use["util_mean"] == 30.0
    assert nvml.shutdown_calls == 1
    assert not [t for t in threading.enumerate() if t.name == "cifar-tui device sampler"]


def test_start_picks_the_gpus_tensorflow_uses_else_the_cpu() -> None:
    nvml = FakeNvml.with_gpus(4)
    environ = {"CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": "2,3"}
    with start_device_sampler(2, environ, nvml) as sampler:
        assert (sampler.probe.kind, sampler.probe.gpus) == ("gpu", (2, 3))
        use = sampler.end_epoch()
        assert (use["util_mean"], use["gpus"]) == (35.0, [2, 3])  # fakes at 30% and 40%
    with start_device_sampler(0, environ, nvml) as sampler:  # TensorFlow found no GPU
        assert sampler.probe.kind == "cpu"
    environ["CUDA_VISIBLE_DEVICES"] = "GPU-8d2c1e7e"
    with start_device_sampler(1, environ, nvml) as sampler:
        use = sampler.end_epoch()
        assert (use["kind"], use["gpus"], use["missing"]) == ("gpu", [], 1)


class BrokenNvml(FakeNvml):
    """An NVML binding that fails in a way it does not document (not an NVMLError)."""

    def nvmlInit(self) -> None:
        raise OSError("libnvidia-ml.so.1: cannot open shared object file")


def test_a_sampler_that_cannot_be_set_up_reads_gaps_and_never_raises() -> None:
    log = io.StringIO()
    with redirect_stderr(log), start_device_sampler(1, {}, BrokenNvml()) as sampler:
        sampler.begin_epoch()
        use = sampler.end_epoch()
    assert (use["kind"], use["util_mean"], use["samples"], use["missing"]) == ("gpu", None, 1, 1)
    assert "no device readings" in log.getvalue()
