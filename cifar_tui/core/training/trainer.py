"""The headless trainer behind `cifar-tui train`: the only code path that trains with TensorFlow.

`run_training` expects the CLI to have validated the config, found the data, created or resolved the
run folder and taken its lock. It imports TensorFlow itself, after the environment is prepared.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import platform
import socket
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from cifar_tui import __version__
from cifar_tui.core.config import TrainConfig
from cifar_tui.core.data.cifar10 import Cifar10
from cifar_tui.core.data.host_memory import take_aligned
from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.atomic import atomic_path, atomic_write_bytes, remove_temp_files
from cifar_tui.core.rundir.runs import AUGMENTATION_PREVIEW_FILE, EventWriter, RunFolder
from cifar_tui.core.training import distribution, tfenv
from cifar_tui.core.training.stopping import AgreedStop

# The recipe evaluates with batch 128; any batch gives the same figures, 256 is faster here.
PREDICT_BATCH_SIZE = 256
# Multi-worker runs agree on a stop every this many steps (one tiny all-reduce each time).
STOP_CHECK_STEPS = 10
# Training images, before and after augmentation, that the app's preview shows.
AUGMENTATION_PREVIEW_IMAGES = 9
# How many lines of trainer.log a `failed` event carries for the UI.
LOG_TAIL_LINES = 20
# OSError numbers that mean "no room": a full disk, or the user's quota.
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class DiskFullError(RuntimeError):
    """The disk filled up while the trainer wrote a file; the previous checkpoint is intact."""


@dataclass
class TrainingOutcome:
    """How `run_training` ended: "finished", "stopped" or "failed", and the exit code it implies."""

    status: str
    exit_code: int
    test_accuracy: float | None = None


def held_out_count(train_images: int, fraction: float) -> int:
    """Training images set aside for validation (0 when the test set validates)."""
    return max(1, int(round(fraction * train_images))) if fraction > 0 else 0


def split_validation(
    data: Cifar10, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train x, train y, val x, val y): a seeded holdout, or the test set when fraction is 0."""
    if fraction <= 0:
        return data.x_train, data.y_train, data.x_test, data.y_test
    order = np.random.default_rng(seed).permutation(len(data.x_train))
    held = held_out_count(len(order), fraction)
    val_index, train_index = np.sort(order[:held]), np.sort(order[held:])
    return (
        take_aligned(data.x_train, train_index),  # aligned: the pipeline reads it in place
        data.y_train[train_index],
        data.x_train[val_index],
        data.y_train[val_index],
    )


def run_training(
    config: TrainConfig,
    run: RunFolder,
    data: Cifar10,
    *,
    user_out: TextIO,
    stop: Any,
    resume: bool,
) -> TrainingOutcome:
    """Train `config` into `run`, writing events; never raises for training failures."""
    events = EventWriter(run.events_path)
    started = time.time()
    try:
        return _train(config, run, data, events, user_out, stop, resume, started)
    except UserError as error:
        events.append(
            "failed", epoch=_epochs_done(run), error="UserError", message=str(error), log_tail=[]
        )
        raise
    except Exception as error:  # noqa: BLE001 - any training failure becomes a `failed` event
        message, kind = _one_line(error), type(error).__name__
        if _disk_full(error) and not isinstance(error, DiskFullError):
            message, kind = _disk_full_message("writing to the run folder", run), "DiskFullError"
        # The traceback goes to trainer.log (stderr); the event and the user get one line.
        with contextlib.suppress(OSError):  # a full disk may refuse the log as well
            traceback.print_exc()
        try:
            events.append(
                "failed",
                epoch=_epochs_done(run),
                error=kind,
                message=message,
                log_tail=_log_tail(run.log_path),
            )
        except OSError:  # the disk is full: the user still gets the line below
            pass
        print(f"cifar-tui: training failed: {message} (details in {run.log_path})", file=user_out)
        return TrainingOutcome("failed", 1)
    finally:
        events.close()


def _train(
    config: TrainConfig,
    run: RunFolder,
    data: Cifar10,
    events: EventWriter,
    user_out: TextIO,
    stop: Any,
    resume: bool,
    started: float,
) -> TrainingOutcome:
    tfenv.quiet_tensorflow_logs()
    import tensorflow as tf

    # Devices first, then the strategy, before any other TensorFlow op: logical CPUs and memory
    # growth must be set before the runtime starts, and MultiWorkerMirroredStrategy must be created
    # before it (it configures the collective ops of this process).
    distribution.split_logical_cpus(tf)
    gpus = tfenv.enable_gpu_memory_growth(tf)
    strategy = distribution.make_strategy(tf, config.strategy, gpus)
    if config.strategy == "multi-worker":
        # A stop must come at the same step on every worker, or the others hang in a collective.
        stop = AgreedStop(stop, distribution.any_worker(strategy, tf), STOP_CHECK_STEPS)
    import keras

    from cifar_tui.core.rundir import checkpoints
    from cifar_tui.core.training import model as model_lib
    from cifar_tui.core.training import pipeline
    from cifar_tui.core.training.callbacks import (
        RunRecorder,
        evaluate_probabilities,
        predict_probabilities,
    )
    from cifar_tui.core.training.schedules import TrainingSchedule

    policy = tfenv.choose_precision(config.mixed_precision, bool(gpus), tfenv.cpu_supports_bf16())
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(config.seed)

    x_train, y_train, x_val, y_val = split_validation(data, config.validation_split, config.seed)
    steps = pipeline.steps_per_epoch(len(x_train), config.batch_size)
    if steps < 1:
        raise UserError(
            f"batch_size {config.batch_size} is larger than the {len(x_train)} training images; "
            "lower --batch-size or raise --train-size"
        )
    latest = checkpoints.read_latest(run.checkpoint_dir) if resume else None
    if resume:  # we hold the lock: what a killed trainer left half-written is litter now
        checkpoints.remove_leftovers(run.checkpoint_dir, latest)
        for written in (
            run.model_path,
            run.predictions_path,
            run.path / AUGMENTATION_PREVIEW_FILE,
            run.config_path,
        ):
            remove_temp_files(written)
    initial_epoch, initial_step = (latest.epoch, latest.step) if latest else (0, 0)
    if initial_epoch > config.epochs:  # == : all trained, killed before `finished`: evaluate
        raise UserError(
            f"run {run.name} already has {initial_epoch} of {config.epochs} epochs; "
            f"pass --epochs N with N > {initial_epoch} to train further"
        )
    per_channel = config.architecture.startswith("airbench")
    if latest:
        normalization = model_lib.Normalization(
            tuple(latest.normalization_mean), tuple(latest.normalization_std)
        )
    else:
        normalization = model_lib.compute_normalization(x_train, per_channel=per_channel)

    schedule = TrainingSchedule(
        config.learning_rate,
        config.lr_schedule,
        steps_per_epoch=steps,
        total_steps=steps * config.epochs,
        warmup_steps=min(int(round(config.warmup_epochs * steps)), steps * config.epochs),
        step_epochs=config.lr_step_epochs,
        step_values=config.lr_step_values,
        time_decay=config.lr_time_decay,
    )
    with strategy.scope():
        whitening = None
        if per_channel and latest is None:
            whitening = model_lib.whitening_kernel(x_train, normalization)
        model = model_lib.build_model(config, normalization, whitening)
        model_lib.compile_model(model, config, schedule)
        distribution.build_from_dataset_shapes(model, strategy, tf)
        if config.strategy == "multi-worker":
            distribution.patch_keras_for_multi_worker(tf)
        if latest:
            checkpoints.restore_checkpoint(run.checkpoint_dir, latest, model)
        # An uncompiled twin for model.keras: no optimizer or schedule, so plain Keras loads it.
        inference_model = model_lib.build_model(config, normalization, whitening)

    augmentation = pipeline.Augmentation(
        rotation_degrees=config.rotation_degrees,
        shift_fraction=config.shift_fraction,
        horizontal_flip=config.horizontal_flip,
        crop_padding=config.crop_padding,
        cutout=config.cutout,
    )
    _save_augmentation_preview(
        run.path / AUGMENTATION_PREVIEW_FILE, x_train, augmentation, config.seed, tf, pipeline
    )
    test = None if config.validation_split <= 0 else (data.x_test, data.y_test)
    events.append(
        "run_started",
        run=run.name,
        config=config.to_dict(),
        versions={
            "cifar_tui": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "python": platform.python_version(),
        },
        device=distribution.describe_device(gpus),
        strategy=config.strategy,
        replicas=strategy.num_replicas_in_sync,
        mixed_precision=policy,
        train_size=len(x_train),
        val_size=len(x_val),
        test_size=len(data.x_test),
        steps_per_epoch=steps,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        initial_step=initial_step,
        pid=os.getpid(),
        host=socket.gethostname(),
        resumed=bool(latest),
        data_source=str(Path(data.source).resolve()),  # the app may start elsewhere
    )
    print(
        f"{'resuming' if latest else 'training'} {run.name}: {config.architecture}, "
        f"{len(x_train)} images, {steps} steps/epoch, epochs {initial_epoch + 1}-{config.epochs}, "
        f"{distribution.describe_device(gpus)}, {policy}, "
        f"{config.strategy} x{strategy.num_replicas_in_sync}",
        flush=True,
    )

    def save_state(epoch: int, step: int, test_result: Any | None) -> None:
        with _saving(f"the checkpoint of epoch {epoch} step {step}", run):
            path = checkpoints.save_checkpoint(
                run.checkpoint_dir,
                model,
                epoch,
                step,
                list(normalization.mean),
                list(normalization.std),
            )
        events.append(
            "checkpoint_saved", epoch=epoch, step=step, path=str(path.relative_to(run.path))
        )
        inference_model.set_weights(model.get_weights())
        with _saving(run.model_path.name, run), atomic_path(run.model_path) as temporary:
            inference_model.save(temporary)
        if test_result is not None:
            with _saving(run.predictions_path.name, run):
                _save_predictions(run.predictions_path, test_result, epoch)
            events.append(
                "predictions_saved",
                epoch=epoch,
                test_accuracy=test_result.accuracy,
                test_loss=test_result.loss,
            )

    def record_stop(epoch_done: int, step: int) -> None:
        if step:  # at an epoch boundary the epoch-end checkpoint is already the latest
            save_state(epoch_done, step, None)
        events.append(
            "stopped", epoch=epoch_done, step=step, reason=stop.reason or "stop requested"
        )
        print(
            f"stopped at epoch {epoch_done} step {step} ({stop.reason}); checkpoint saved; "
            f"continue with: cifar-tui train --resume {run.name}",
            flush=True,
        )

    recorder = RunRecorder(
        emit=events.append,
        print_line=lambda line: print(line, flush=True),
        stop=stop,
        steps_per_epoch=steps,
        epochs=config.epochs,
        batch_size=config.batch_size,
        validation=(x_val, y_val),
        test=test,
        on_epoch_saved=lambda epoch, result: save_state(epoch, 0, result),
        learning_rate_at=lambda step: float(schedule(step)),
        first_step=initial_step,
        on_stopped_mid_epoch=record_stop,
    )
    recorder.last_epoch_done = initial_epoch

    def fit(first_epoch: int, first_step: int, last_epoch: int) -> None:
        dataset = pipeline.training_dataset(
            x_train,
            y_train,
            batch_size=config.batch_size,
            seed=config.seed,
            augmentation=augmentation,
            start_epoch=first_epoch,
            end_epoch=last_epoch,
            start_step=first_step,
        )
        model.fit(
            dataset,
            epochs=last_epoch,
            initial_epoch=first_epoch,
            steps_per_epoch=steps - first_step if first_step else steps,
            callbacks=[recorder],
            verbose=0,
            shuffle=False,
        )

    if not stop.is_set():
        if initial_step:
            # Finish the epoch a stop interrupted, then go on with whole epochs.
            fit(initial_epoch, initial_step, initial_epoch + 1)
        if not stop.is_set() and recorder.last_epoch_done < config.epochs:
            fit(recorder.last_epoch_done, 0, config.epochs)

    epoch_done = recorder.last_epoch_done
    if stop.is_set() and (epoch_done < config.epochs):
        if not recorder.stop_recorded:  # stopped at an epoch's end, or before any batch
            record_stop(epoch_done, recorder.steps_done if recorder.steps_done < steps else 0)
        return TrainingOutcome("stopped", 0)

    # The last epoch already predicted the test set with these weights and saved predictions.npz
    # (predicting it again cost 5-10 s per run on this CPU for the same numbers).
    result = recorder.last_test_result
    if result is None:  # resumed with every epoch trained: nothing ran here
        result = evaluate_probabilities(
            predict_probabilities(model, data.x_test, PREDICT_BATCH_SIZE), data.y_test
        )
        # The kill may have come before model.keras or predictions.npz was saved.
        save_state(epoch_done, 0, result)
    events.append(
        "finished",
        epoch=epoch_done,
        test_accuracy=result.accuracy,
        test_loss=result.loss,
        seconds=time.time() - started,
    )
    # The recipe's own closing line.
    print(f"Test result: {100 * result.accuracy:.3f} loss: {result.loss:.3f}", flush=True)
    return TrainingOutcome("finished", 0, result.accuracy)


def _save_augmentation_preview(
    path: Path, images: np.ndarray, augmentation: Any, seed: int, tf: Any, pipeline: Any
) -> None:
    """The first training images through the real augmentation function, for the app to show."""
    original = images[:AUGMENTATION_PREVIEW_IMAGES]
    augmented = pipeline.augment_batch(
        tf.constant(original), tf.constant([seed, 2**31 - 1], tf.int64), augmentation
    ).numpy()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, original=original, augmented=augmented.astype(np.uint8))
    atomic_write_bytes(path, buffer.getvalue())


def _save_predictions(path: Path, result: Any, epoch: int) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, probabilities=result.probabilities, labels=result.labels, epoch=np.int64(epoch)
    )
    atomic_write_bytes(path, buffer.getvalue())


def _disk_full(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, is "no space left" (Keras wraps some)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in _DISK_FULL_ERRNOS:
            return True
        error = error.__cause__ or error.__context__
    return False


def _disk_full_message(doing: str, run: RunFolder) -> str:
    """One line: what filled the disk, what to do, and which checkpoint a resume will use."""
    from cifar_tui.core.rundir import checkpoints

    try:
        latest = checkpoints.read_latest(run.checkpoint_dir)
    except UserError:
        latest = None
    kept = (
        f"it continues from the checkpoint of epoch {latest.epoch} step {latest.step}, "
        "which is intact"
        if latest
        else "no checkpoint was saved yet, so it starts over"
    )
    return (
        f"disk full while {doing}: free space and run `cifar-tui train --resume {run.name}`; {kept}"
    )


@contextlib.contextmanager
def _saving(what: str, run: RunFolder) -> Iterator[None]:
    """Turn a full disk while saving `what` into a DiskFullError that says what to do."""
    try:
        yield
    except Exception as error:
        if not _disk_full(error):
            raise
        with contextlib.suppress(OSError):  # trainer.log keeps the original (Keras drops causes)
            traceback.print_exc()
        raise DiskFullError(_disk_full_message(f"saving {what}", run)) from error


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> list[str]:
    try:
        sys.stderr.flush()
        return log_path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def _epochs_done(run: RunFolder) -> int:
    """Epochs complete according to the events so far (for the `failed` event)."""
    done = [e.get("epoch", 0) for e in run.events() if e.get("type") == "epoch_ended"]
    return max(done, default=0)
