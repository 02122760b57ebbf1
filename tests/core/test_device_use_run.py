"""A real tiny `cifar-tui train` on the CPU: each epoch_ended carries the trainer's CPU use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from written_events import raw_events

from cifar_tui.core.rundir.event_types import EpochEnded
from cifar_tui.core.rundir.folder import RunFolder

pytestmark = pytest.mark.slow

TINY = ["--preset", "quick", "--train-size", "0", "--batch-size", "10", "--mixed-precision",
        "off", "--epochs", "2"]  # fmt: skip


def test_each_epoch_records_the_cpu_share_and_memory_of_the_trainer(
    cifar_archive: Path, tmp_path: Path
) -> None:
    # No GPU for TensorFlow, even on a machine that has one: the CPU figures are the ones checked.
    env = {**os.environ, "CIFAR_TUI_OFFLINE": "1", "CUDA_VISIBLE_DEVICES": "-1"}
    result = subprocess.run(
        [sys.executable, "-m", "cifar_tui", "train", *TINY, "--data-dir", str(cifar_archive),
         "--models-dir", str(tmp_path), "--name", "tiny"],
        capture_output=True, text=True, timeout=240, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    run = RunFolder(tmp_path / "tiny")
    written = [e for e in raw_events(run.events_path) if e["type"] == "epoch_ended"]
    assert len(written) == 2
    for line in written:
        use = line["device_use"]
        assert (use["kind"], use["gpus"], use["missing"]) == ("cpu", [], 0)
        assert use["samples"] >= 1
        # Percent of the cores the trainer may use: it trained, so above 0, and at most all.
        assert 0 < use["util_mean"] <= use["util_peak"] <= 100
        # A TensorFlow process holds hundreds of MB, under the machine's RAM.
        assert 100 * 1024**2 < use["memory_mean"] <= use["memory_peak"] < use["memory_total"]
    # An epoch of 50 steps takes about a second: the background thread read at least once in
    # one of them besides the reading at the epoch's end (else only that one was taken).
    assert max(line["device_use"]["samples"] for line in written) >= 2, written
    epochs = [e for e in run.events() if isinstance(e, EpochEnded)]
    assert [e.device_use.kind for e in epochs if e.device_use] == ["cpu", "cpu"]
    epoch_lines = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
    assert all(" cpu " in line and line.endswith("%") for line in epoch_lines), epoch_lines
