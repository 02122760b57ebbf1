"""Deterministic fake run folders (config, events, predictions, lock): UI tests without TF."""

from __future__ import annotations

import json
import math
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.naming import create_run_folder
from cifar_tui.core.rundir.status import STATUSES

BASE_TIME = datetime(2026, 11, 25, 19, 15, tzinfo=timezone.utc).timestamp()
"""Start of a seed-0 run; seed n starts n hours later, so runs with different seeds sort by seed."""

EPOCH_SECONDS = 30.0
STEPS_PER_EPOCH = 352  # 45,000 training images / batch 128
BATCH_EVENTS_PER_EPOCH = 4
PREDICTION_COUNT = 100
CORRECT_PREDICTIONS = 70
FAILURE_MESSAGE = "OOM when allocating tensor with shape[128,64,32,32] on /job:localhost/GPU:0"

CONFIG_TOML = """\
# cifar-tui training config (fake, written by tests/run_fixtures.py)
preset = "{preset}"
seed = {seed}
epochs = {epochs}
batch_size = 128
learning_rate = 0.001
validation_split = 0.1
horizontal_flip = true
"""


def fake_config(epochs_total: int = 10, seed: int = 0, preset: str = "recipe-2018") -> str:
    """The config.toml text of a fake run."""
    return CONFIG_TOML.format(preset=preset, seed=seed, epochs=epochs_total)


def _curve(epoch: int, epochs_total: int, start: float, end: float) -> float:
    # Exponential approach: fast early gains that flatten, like a real CNN's accuracy curve.
    progress = 1.0 - math.exp(-3.0 * epoch / max(epochs_total, 1))
    return start + (end - start) * progress / (1.0 - math.exp(-3.0))


def fake_events(
    status: str,
    epochs_done: int,
    epochs_total: int = 10,
    seed: int = 0,
    started: float | None = None,
    with_predictions: bool = True,
) -> list[dict[str, Any]]:
    """The events a trainer would have written for a run in `status` after `epochs_done` epochs.

    UI tests can append these one by one (on a timer) to stand in for a live trainer.

    Args:
        status: one of STATUSES; "created" gives [].
        epochs_done: completed epochs (clamped to epochs_total).
        epochs_total: epochs the config asks for.
        seed: varies the noise and the start time.
        started: unix time of run_started (default BASE_TIME + seed hours).
        with_predictions: add predictions_saved events after each epoch.

    Returns:
        Event dicts with "type" and "time", in order.
    """
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; use one of {STATUSES}")
    if status == "created":
        return []
    rng = np.random.default_rng(seed)
    epochs_done = min(epochs_done, epochs_total)
    now = BASE_TIME + 3600.0 * seed if started is None else started
    config = {"preset": "recipe-2018", "seed": seed, "epochs": epochs_total, "batch_size": 128}
    events: list[dict[str, Any]] = [
        {
            "type": "run_started",
            "time": now,
            "run": f"fake-{seed}",
            "config": config,
            "versions": {"python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1"},
            "device": "CPU",
            "gpus": [],  # trained on the CPU: the runs list's gpu column says "cpu"
            "strategy": "default",
            "replicas": 1,
            "mixed_precision": "float32",
            "train_size": 45000,
            "val_size": 5000,
            "test_size": 10000,
            "steps_per_epoch": STEPS_PER_EPOCH,
            "epochs": epochs_total,
            "initial_epoch": 0,
            "pid": 4242,
            "host": "fakehost",
            "resumed": False,
        }
    ]

    def batches(epoch: int, upto: int) -> None:
        nonlocal now
        for index in range(1, upto + 1):
            now += EPOCH_SECONDS / BATCH_EVENTS_PER_EPOCH
            accuracy = _curve(epoch - 1 + index / BATCH_EVENTS_PER_EPOCH, epochs_total, 0.25, 0.8)
            events.append(
                {
                    "type": "batch",
                    "time": round(now, 3),
                    "epoch": epoch,
                    "step": STEPS_PER_EPOCH * index // BATCH_EVENTS_PER_EPOCH,
                    "steps": STEPS_PER_EPOCH,
                    "loss": round(2.3 * (1.0 - accuracy) + 0.3, 4),
                    "accuracy": round(accuracy, 4),
                    "images_per_second": round(1500.0 + 50.0 * float(rng.standard_normal()), 1),
                }
            )

    for epoch in range(1, epochs_done + 1):
        batches(epoch, BATCH_EVENTS_PER_EPOCH)
        accuracy = _curve(epoch, epochs_total, 0.25, 0.8) + 0.005 * float(rng.standard_normal())
        val_accuracy = _curve(epoch, epochs_total, 0.3, 0.72) + 0.01 * float(rng.standard_normal())
        events.append(
            {
                "type": "epoch_ended",
                "time": round(now, 3),
                "epoch": epoch,
                "epochs": epochs_total,
                "loss": round(2.3 * (1.0 - accuracy) + 0.3, 4),
                "accuracy": round(accuracy, 4),
                "val_loss": round(2.3 * (1.0 - val_accuracy) + 0.4, 4),
                "val_accuracy": round(val_accuracy, 4),
                "learning_rate": 0.001 if epoch <= epochs_total // 2 else 0.0005,
                "seconds": EPOCH_SECONDS,
                "images_per_second": 1500.0,
            }
        )
        events.append(
            {
                "type": "checkpoint_saved",
                "time": round(now, 3),
                "epoch": epoch,
                "step": 0,
                "path": f"checkpoint/epoch-{epoch:04d}.npz",
            }
        )
        if with_predictions:
            events.append(
                {
                    "type": "predictions_saved",
                    "time": round(now, 3),
                    "epoch": epoch,
                    "test_accuracy": CORRECT_PREDICTIONS / PREDICTION_COUNT,
                    "test_loss": 0.9,
                }
            )
    if status in ("running", "stopped", "interrupted", "failed") and epochs_done < epochs_total:
        batches(epochs_done + 1, 2)  # an epoch in progress when the run ended (or now)
    now += 1.0
    if status == "finished":
        events.append(
            {
                "type": "finished",
                "time": round(now, 3),
                "epoch": epochs_done,
                "test_accuracy": CORRECT_PREDICTIONS / PREDICTION_COUNT,
                "test_loss": 0.9,
                "seconds": round(now - events[0]["time"], 3),
            }
        )
    elif status == "stopped":
        events.append(
            {
                "type": "stopped",
                "time": round(now, 3),
                "epoch": epochs_done,
                "step": STEPS_PER_EPOCH // 2,
                "reason": "stop requested (SIGINT)",
            }
        )
    elif status == "failed":
        events.append(
            {
                "type": "failed",
                "time": round(now, 3),
                "epoch": epochs_done,
                "error": "ResourceExhaustedError",
                "message": FAILURE_MESSAGE,
                "log_tail": ["W tensorflow/core/bfc_allocator.cc] Allocator ran out of memory"],
            }
        )
    return events


def fake_predictions(seed: int = 0) -> dict[str, np.ndarray]:
    """PREDICTION_COUNT test-set probabilities, exactly CORRECT_PREDICTIONS of them right.

    Returns:
        {"probabilities": (N, 10) float32 rows summing to 1, "labels": (N,) int64}.
    """
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, PREDICTION_COUNT)
    predicted = labels.copy()
    wrong = rng.permutation(PREDICTION_COUNT)[CORRECT_PREDICTIONS:]
    predicted[wrong] = (labels[wrong] + rng.integers(1, 10, wrong.size)) % 10
    logits = rng.standard_normal((PREDICTION_COUNT, 10))
    rows = np.arange(PREDICTION_COUNT)
    logits[rows, predicted] = logits.max(axis=1) + rng.uniform(0.5, 4.0, PREDICTION_COUNT)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return {"probabilities": probabilities.astype(np.float32), "labels": labels.astype(np.int64)}


def write_run(
    models_dir: Path,
    name: str,
    status: str,
    epochs_done: int,
    epochs_total: int = 10,
    with_predictions: bool = True,
    seed: int = 0,
    started: float | None = None,
) -> RunFolder:
    """Write a realistic fake run folder whose summary has `status`.

    A "running" run gets a trainer.lock naming this test process (alive, on this host), so
    `RunLock.acquire` on it is refused; every other status has no lock.

    Args:
        models_dir: the runs folder (created if missing).
        name: the run's folder name.
        status: one of STATUSES.
        epochs_done: completed epochs.
        epochs_total: epochs the config asks for.
        with_predictions: write predictions.npz (if at least one epoch is done).
        seed: varies curves, predictions and start time (BASE_TIME + seed hours).
        started: unix time of run_started (overrides the seed's).

    Returns:
        The run folder.
    """
    run = create_run_folder(models_dir, name)
    run.config_path.write_text(fake_config(epochs_total, seed), encoding="utf-8")
    # A run without events is dated by its config's mtime: pin it so listings are deterministic.
    start = BASE_TIME + 3600.0 * seed if started is None else started
    os.utime(run.config_path, (start, start))
    events = fake_events(status, epochs_done, epochs_total, seed, started, with_predictions)
    if events:
        with EventWriter(run.events_path, fsync=False) as writer:  # fixtures need no durability
            for event in events:
                fields = {key: value for key, value in event.items() if key != "type"}
                writer.append(event["type"], **fields)
    done = min(epochs_done, epochs_total)
    if with_predictions and done >= 1 and status != "created":
        np.savez(run.predictions_path, **fake_predictions(seed), epoch=np.int64(done))
    if status == "running":
        # "started" must not predate this process, or the lock reads as a reused pid's.
        lock = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        run.lock_path.write_text(json.dumps(lock), encoding="utf-8")
    return run
