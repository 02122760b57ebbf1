"""No silent CPU fallback: a real tiny `cifar-tui train` on this CPU, beside two GPUs that a fake
NVML reports and TensorFlow cannot see, says so on the terminal and in `run_started`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cifar_archives import write_cifar_archive

pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent.parent

# The trainer process imports `pynvml` lazily (core/host/gpu.py): this one finds the fake first.
WITH_FAKE_NVML = f"""\
import sys
sys.path.insert(0, {str(TESTS)!r})
from fake_nvml import FakeNvml
sys.modules["pynvml"] = FakeNvml.with_gpus(2)
from cifar_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_training_on_the_cpu_beside_gpus_is_said_and_recorded(tmp_path: Path) -> None:
    data = write_cifar_archive(tmp_path / "data", per_batch=20, test_size=20)
    env = {**os.environ, "CIFAR_TUI_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    done = subprocess.run(
        [sys.executable, "-c", WITH_FAKE_NVML, "train", "--data-dir", str(data),
         "--models-dir", str(tmp_path / "models"), "--name", "r", "--preset", "quick",
         "--epochs", "1", "--train-size", "0", "--batch-size", "50", "--mixed-precision", "off"],
        capture_output=True, text=True, timeout=300, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    warned = [line for line in done.stdout.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1
    assert warned[0].startswith(
        "warning: training on the CPU: NVML sees 2 GPUs but TensorFlow sees none"
    )
    events = [json.loads(line) for line in (tmp_path / "models/r/events.jsonl").open()]
    started = next(event for event in events if event["type"] == "run_started")
    assert started["warnings"] == [warned[0].removeprefix("warning: ")]
