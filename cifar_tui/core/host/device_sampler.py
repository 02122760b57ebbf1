"""The thread that reads the trainer's devices about once a second, and each epoch's summary.

The trainer opens one around `fit` (`with start_device_sampler(len(gpus)) as sampler`); the
recorder calls `begin_epoch` and `end_epoch`, which returns the epoch's `device_use` table. Only
the readings between the two count: validation and checkpoints are not the epoch's training.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from cifar_tui.core.host.telemetry import (
    MIN_LAST_WINDOW,
    MISSING,
    SAMPLE_SECONDS,
    CpuProbe,
    GpuProbe,
    NoProbe,
    Probe,
    Reading,
    process_gpus,
    summarize,
)

__all__ = ["DeviceSampler", "start_device_sampler"]


class DeviceSampler:
    """Readings of one probe in a daemon thread; a reading that raises is a gap, never an error.

    Args:
        probe: what to read (CpuProbe or GpuProbe).
        interval: seconds between readings.
        clock: monotonic seconds, for "is the latest reading recent" (tests pass a fake).
        thread: read in a background thread (tests drive `sample` themselves).
    """

    def __init__(
        self,
        probe: Probe,
        *,
        interval: float = SAMPLE_SECONDS,
        clock: Callable[[], float] | None = None,
        thread: bool = True,
    ) -> None:
        self.probe = probe
        self._interval = interval
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._readings: list[Reading] = []
        self._last_reading = self._clock()
        self._failure_told = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if thread:
            self._thread = threading.Thread(
                target=self._run, name="cifar-tui device sampler", daemon=True
            )
            try:
                self._thread.start()
            except RuntimeError:  # no thread to be had: end_epoch still takes one reading
                self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def sample(self) -> None:
        """Take one reading now (a failed one is recorded as a gap)."""
        with self._lock:
            self._readings.append(self._read())
            self._last_reading = self._clock()

    def _read(self) -> Reading:
        try:
            return self.probe.read()
        except Exception as error:  # noqa: BLE001 - telemetry must never fail training
            if not self._failure_told:  # once, to trainer.log: a gap says nothing of why
                self._failure_told = True
                print(f"cifar-tui: device reading failed: {error!r}", file=sys.stderr)
            return MISSING

    def begin_epoch(self) -> None:
        """Forget readings so far: the epoch's training starts now."""
        with self._lock:
            self._readings.clear()
            self._last_reading = self._clock()
            try:
                self.probe.rebase()
            except Exception:  # noqa: BLE001 - a CPU share over a longer window is still one
                pass

    def end_epoch(self) -> dict[str, Any]:
        """The epoch's `device_use` table, with a last reading unless the latest is recent."""
        with self._lock:
            if not self._readings or self._clock() - self._last_reading >= MIN_LAST_WINDOW:
                self._readings.append(self._read())
                self._last_reading = self._clock()
            readings, self._readings = self._readings, []
        return summarize(self.probe.kind, readings, self.probe.gpus)

    def close(self) -> None:
        """Stop the thread and release NVML; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5 * self._interval)
            self._thread = None
        try:
            self.probe.close()
        except Exception:  # noqa: BLE001 - the run is over: nothing to do about it
            pass

    def __enter__(self) -> DeviceSampler:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def start_device_sampler(
    gpu_count: int,
    environ: Mapping[str, str] | None = None,
    nvml_module: Any = None,
) -> DeviceSampler:
    """A running sampler of this process's devices: its GPUs, or its CPU share without one.

    Args:
        gpu_count: GPUs TensorFlow uses (0: a CPU run, even where NVML sees GPUs).
        environ: where CUDA_VISIBLE_DEVICES is read (default os.environ).
        nvml_module: stands in for `pynvml` (tests); None imports it.
    """
    gpus = process_gpus(gpu_count, os.environ if environ is None else environ)
    kind = "gpu" if gpu_count > 0 else "cpu"
    probe: Probe
    try:
        # gpus None: GPUs named by UUID, which NVML is not asked to resolve; readings are gaps.
        probe = GpuProbe(gpus or (), nvml_module) if kind == "gpu" else CpuProbe()
    except Exception as error:  # noqa: BLE001 - telemetry must never fail training
        print(f"cifar-tui: no device readings: {error!r}", file=sys.stderr)
        probe = NoProbe(kind)
    return DeviceSampler(probe)
