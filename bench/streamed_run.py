"""A run folder that grows as a trainer's would, for the app benches (bench/app_latency.py).

`write_history` writes a run with some epochs done, batch events included, at the real
trainer's rates; `stream` (run in its own process) holds the run's lock and appends to it live;
`start_trainer` starts a real `cifar-tui train` instead.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from pathlib import Path

from benchkit import cifar_tui_argv

from cifar_tui.core.rundir.events import BATCH_EVENT_INTERVAL, EventWriter
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.naming import create_run_folder

RECIPE_EPOCHS = 125
STEPS_PER_EPOCH = 352
BATCH_SECONDS = BATCH_EVENT_INTERVAL


def _accuracy(progress: float) -> float:
    return 0.3 + 0.5 * (1.0 - math.exp(-progress / 8.0))


def total_epochs(history: int) -> int:
    """The run's epoch count: the recipe's, or more so that it never ends while measured."""
    return max(RECIPE_EPOCHS, history + 100)


def _batch(writer: EventWriter, epoch: int, batch: int, batches: int) -> None:
    accuracy = _accuracy(epoch - 1 + batch / batches)
    writer.append(
        "batch",
        epoch=epoch,
        step=STEPS_PER_EPOCH * batch // batches,
        steps=STEPS_PER_EPOCH,
        loss=round(2.3 * (1.0 - accuracy) + 0.3, 4),
        accuracy=round(accuracy, 4),
        images_per_second=round(4500.0 + 100.0 * math.sin(epoch * batches + batch), 1),
    )


def _epoch_end(writer: EventWriter, epoch: int, epochs: int, seconds: float) -> None:
    accuracy = _accuracy(epoch)
    writer.append(
        "epoch_ended",
        epoch=epoch,
        epochs=epochs,
        loss=round(2.3 * (1.0 - accuracy) + 0.3, 4),
        accuracy=round(accuracy, 4),
        val_loss=round(2.3 * (1.0 - accuracy) + 0.45, 4),
        val_accuracy=round(accuracy - 0.03 + 0.01 * math.sin(epoch), 4),
        test_accuracy=round(accuracy - 0.03, 4),
        learning_rate=0.001 / (1.0 + 1e-6 * epoch * STEPS_PER_EPOCH),
        seconds=seconds,
        train_seconds=seconds * 0.9,
        images_per_second=round(128 * STEPS_PER_EPOCH / (seconds * 0.9), 1),
        partial=False,
    )
    writer.append("checkpoint_saved", epoch=epoch, step=0, path=f"checkpoint/epoch-{epoch:04d}.npz")
    writer.append("predictions_saved", epoch=epoch, test_accuracy=round(accuracy - 0.03, 4))


def _batches_per_epoch(epoch_seconds: float) -> int:
    return max(round(epoch_seconds / BATCH_SECONDS), 1)


def write_history(
    models_dir: Path, name: str, history: int, epoch_seconds: float, finished: bool
) -> RunFolder:
    """A run with `history` epochs done, batch events included (and, if `finished`, its end),
    as the trainer writes them at `epoch_seconds` per epoch."""
    run = create_run_folder(models_dir, name)
    epochs = total_epochs(history)
    run.config_path.write_text(f'preset = "recipe-2018"\nepochs = {epochs}\n', encoding="utf-8")
    batches = _batches_per_epoch(epoch_seconds)
    with EventWriter(run.events_path, fsync=False) as writer:
        writer.append(
            "run_started",
            run=name,
            config={"preset": "recipe-2018", "epochs": epochs, "batch_size": 128},
            device="CPU",
            strategy="default",
            replicas=1,
            mixed_precision="float32",
            steps_per_epoch=STEPS_PER_EPOCH,
            epochs=epochs,
            initial_epoch=0,
            initial_step=0,
            pid=os.getpid(),
            resumed=False,
        )
        for epoch in range(1, history + 1):
            for batch in range(1, batches + 1):
                _batch(writer, epoch, batch, batches)
            _epoch_end(writer, epoch, epochs, epoch_seconds)
        if finished:
            writer.append("finished", epoch=history, test_accuracy=0.7, test_loss=0.9)
    return run


def stream(run_path: Path, history: int, epoch_seconds: float) -> None:
    """The streaming trainer stand-in: holds the lock, appends events at the trainer's rates."""
    run = RunFolder(run_path)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    batches, epochs = _batches_per_epoch(epoch_seconds), total_epochs(history)
    with run.lock(), EventWriter(run.events_path) as writer:  # fsync per line, as the trainer
        epoch, tick = history + 1, 0
        started = time.perf_counter()
        print("streaming", flush=True)
        while not stopping and epoch <= epochs:
            tick += 1
            delay = started + tick * BATCH_SECONDS - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            batch = (tick - 1) % batches + 1
            _batch(writer, epoch, batch, batches)
            if batch == batches:
                _epoch_end(writer, epoch, epochs, epoch_seconds)
                epoch += 1


def start_trainer(models_dir: Path, data_dir: str, log: Path) -> tuple[subprocess.Popen, RunFolder]:
    """A real `cifar-tui train`; returns once it has written its first batch event."""
    name = "bench-real"
    argv = cifar_tui_argv(
        "train", "--preset", "quick", "--train-size", "2000", "--epochs", "100",
        "--data-dir", data_dir, "--models-dir", str(models_dir), "--name", name,
    )  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    run = RunFolder(models_dir / name)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the trainer exited: {log.read_text()[-2000:]}")
        if any(event.type == "batch" for event in run.events()):
            return process, run
        time.sleep(0.5)
    process.kill()
    raise RuntimeError("the trainer wrote no batch event in 10 minutes")
