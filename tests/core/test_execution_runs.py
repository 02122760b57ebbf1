"""Real tiny `cifar-tui train` runs with several steps per graph call and with augmentation in the
train step: the same steps, stops, resumes and numbers as one call per step in the pipeline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from written_events import raw_events

from cifar_tui.core.training.cluster import LOGICAL_CPUS_ENV

pytestmark = pytest.mark.slow

# 500 images in batches of 10: 50 steps per epoch, so a stop can land mid-epoch.
TINY = ["--preset", "quick", "--train-size", "0", "--batch-size", "10", "--epochs", "2",
        "--batch-norm-momentum", "0.5", "--mixed-precision", "off"]  # fmt: skip


def train(name: str, *args: str | Path, logical_cpus: int = 0) -> list[dict]:
    """`cifar-tui train ARGS` to the end (the CPU split in `logical_cpus` devices, if given);
    the events of run `name`."""
    env = {key: value for key, value in os.environ.items() if key != LOGICAL_CPUS_ENV}
    if logical_cpus:
        env[LOGICAL_CPUS_ENV] = str(logical_cpus)
    result = subprocess.run(
        [sys.executable, "-m", "cifar_tui", "train", *map(str, args)],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        env={**env, "CIFAR_TUI_OFFLINE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    models = Path(args[args.index("--models-dir") + 1])
    return raw_events(models / name / "events.jsonl")


def epochs_ended(events: list[dict]) -> list[tuple[int, float, float, float]]:
    return [(e["epoch"], e["loss"], e["val_loss"], e["val_accuracy"])
            for e in events if e["type"] == "epoch_ended"]  # fmt: skip


@pytest.fixture(scope="module")
def reference(cifar_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One call per step, augmentation in the pipeline: the way every other test trains."""
    models = tmp_path_factory.mktemp("models")
    common = [*TINY, "--data-dir", cifar_archive, "--models-dir", models]
    events = train("reference", *common, "--name", "reference", "--steps-per-execution", "1",
                   "--augment-on", "cpu")  # fmt: skip
    return {"events": events, "common": common, "models": models}


@pytest.mark.parametrize(
    "options",
    [["--steps-per-execution", "5"], ["--steps-per-execution", "8"], ["--augment-on", "device"]],
    ids=["5 per call", "8 per call (an epoch's last call runs 2)", "augmented in the train step"],
)
def test_a_run_trains_the_same_as_one_call_per_step(reference: dict, options: list[str]) -> None:
    """On the CPU the numbers are equal: the same batches, augmentation and updates."""
    name = "-".join(options).strip("-")
    events = train(name, *reference["common"], "--name", name, *options)
    assert epochs_ended(events) == epochs_ended(reference["events"])
    steps = [e["step"] for e in events if e["type"] == "batch"]
    assert steps and all(1 <= step <= 50 for step in steps)


def test_a_stop_and_resume_with_eight_steps_per_call_match_the_reference(reference: dict) -> None:
    """The stop lands on a call's last step; the resumed partial epoch (50 - 8k steps) ends with
    a shorter call, and the run ends where the reference did."""
    models, common = reference["models"], reference["common"]
    process = subprocess.Popen(
        [sys.executable, "-m", "cifar_tui", "train", *map(str, common), "--name", "stopped",
         "--steps-per-execution", "8"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CIFAR_TUI_OFFLINE": "1"},
    )  # fmt: skip
    events_path = models / "stopped" / "events.jsonl"
    deadline = time.monotonic() + 240
    while not any(e["type"] == "batch" and e["epoch"] == 2 for e in raw_events(events_path)):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    stopped = raw_events(events_path)[-1]
    if stopped["type"] == "finished":
        pytest.skip("the run ended before the stop arrived (a busy machine)")
    assert stopped["type"] == "stopped" and stopped["epoch"] == 1 and stopped["step"] % 8 == 0
    latest = json.loads((models / "stopped" / "checkpoint" / "latest.json").read_text())
    assert (latest["epoch"], latest["step"]) == (1, stopped["step"])

    # Resumed with its saved config: the partial epoch from the stop's step, then the rest.
    events = train("stopped", "--resume", "stopped", "--models-dir", models, "--data-dir",
                   common[common.index("--data-dir") + 1])  # fmt: skip
    assert events[-1]["type"] == "finished"
    mine, expected = epochs_ended(events)[-1], epochs_ended(reference["events"])[-1]
    # The weights: the resumed epoch's training loss is the mean of its own batches only.
    assert mine[0] == expected[0] == 2
    assert mine[2] == pytest.approx(expected[2], rel=1e-3)
    assert mine[3] == expected[3]


def test_two_replicas_augmenting_in_the_train_step_match_the_pipeline(
    cifar_archive: Path, tmp_path: Path
) -> None:
    """Mirrored over two logical CPUs: each replica augments its half of the batch with that
    half's draws, as the pipeline would have."""
    common = [*TINY, "--epochs", "1", "--batch-size", "50", "--strategy", "mirrored",
              "--data-dir", cifar_archive, "--models-dir", tmp_path]  # fmt: skip
    runs = {where: train(where, *common, "--name", where, "--augment-on", where, logical_cpus=2)
            for where in ("cpu", "device")}  # fmt: skip
    assert runs["cpu"][0]["replicas"] == runs["device"][0]["replicas"] == 2
    assert epochs_ended(runs["device"]) == epochs_ended(runs["cpu"])
