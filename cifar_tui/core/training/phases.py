"""The phases of a run once the runtime is up: data, resume point, model built or restored, fit.

Each phase takes what the ones before produced, as the small dataclasses below, and the trainer
(trainer.py) calls them in order. This module imports TensorFlow at its top: import it after
runtime.start_runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.data.cifar10 import Cifar10
from cifar_tui.core.data.host_memory import take_aligned
from cifar_tui.core.rundir import checkpoints
from cifar_tui.core.rundir.artifacts import save_augmentation_preview
from cifar_tui.core.rundir.atomic import remove_temp_files
from cifar_tui.core.rundir.folder import AUGMENTATION_PREVIEW_FILE, RunFolder
from cifar_tui.core.training import distribution, execution, pipeline, tta
from cifar_tui.core.training import model as model_lib
from cifar_tui.core.training.checks import check_batch_fits, check_epochs_left, held_out_count
from cifar_tui.core.training.metrics import EvaluationResult
from cifar_tui.core.training.recorder import DeviceUseSource, FitPlan, RunRecorder
from cifar_tui.core.training.runtime import Runtime
from cifar_tui.core.training.saving import RunSaver
from cifar_tui.core.training.schedules import TrainingSchedule, schedule_from_config

AUGMENTATION_PREVIEW_IMAGES = 9
"""Training images, before and after augmentation, that the app's preview shows."""


@dataclass(frozen=True)
class TrainingData:
    """The images a run trains and validates on."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    test: tuple[np.ndarray, np.ndarray] | None
    """The test set when a hold-out validates; None: validation *is* the test set (the recipe)."""
    steps_per_epoch: int


@dataclass(frozen=True)
class ResumePoint:
    """Where training starts: the latest checkpoint of a resumed run, or nothing."""

    latest: checkpoints.CheckpointInfo | None = None

    @property
    def epoch(self) -> int:
        """Epochs complete before this trainer started."""
        return self.latest.epoch if self.latest else 0

    @property
    def step(self) -> int:
        """Batches of the next epoch done before this trainer started (a stop mid-epoch)."""
        return self.latest.step if self.latest else 0


@dataclass(frozen=True)
class Models:
    """The model being trained, its uncompiled twin for model.keras, and how they normalize."""

    model: Any
    inference_net: Any
    """No optimizer or schedule, so plain Keras loads model.keras; takes the trained weights."""
    inference_model: Any
    """What model.keras holds: `inference_net`, wrapped in the config's test-time views."""
    normalization: model_lib.Normalization
    schedule: TrainingSchedule


@dataclass(frozen=True)
class FitResult:
    """How far `fit` got."""

    epochs_done: int
    steps_done: int
    """Batches done in the epoch that was running at the end."""
    stop_recorded: bool
    """The stop was saved and reported from inside fit."""
    last_test_result: EvaluationResult | None
    """The test-set result of epoch `epochs_done`, if this trainer trained it."""


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


def prepare_data(config: TrainConfig, data: Cifar10) -> TrainingData:
    """Split off the validation set; refuse a batch larger than what is left to train on."""
    check_batch_fits(config, len(data.x_train))
    x_train, y_train, x_val, y_val = split_validation(data, config.validation_split, config.seed)
    test = None if config.validation_split <= 0 else (data.x_test, data.y_test)
    steps = pipeline.steps_per_epoch(len(x_train), config.batch_size)
    return TrainingData(x_train, y_train, x_val, y_val, test, steps)


def resume_point(config: TrainConfig, run: RunFolder, resume: bool) -> ResumePoint:
    """The latest checkpoint of a resumed run, after clearing what a killed trainer left."""
    if not resume:
        return ResumePoint()
    latest = checkpoints.read_latest(run.checkpoint_dir)
    # We hold the lock: what a killed trainer left half-written is litter now.
    checkpoints.remove_leftovers(run.checkpoint_dir, latest)
    written = (run.model_path, run.predictions_path, run.path / AUGMENTATION_PREVIEW_FILE)
    for path in (*written, run.config_path):
        remove_temp_files(path)
    check_epochs_left(run, latest, config.epochs)
    return ResumePoint(latest)


def build_or_restore(
    config: TrainConfig, runtime: Runtime, train: TrainingData, start: ResumePoint, run: RunFolder
) -> Models:
    """The model under the strategy: fresh (normalized on the training set) or restored."""
    per_channel = config.architecture.startswith("airbench")
    latest = start.latest
    if latest:
        mean, std = tuple(latest.normalization_mean), tuple(latest.normalization_std)
        normalization = model_lib.Normalization(mean, std)
    else:
        normalization = model_lib.compute_normalization(train.x_train, per_channel=per_channel)
    schedule = schedule_from_config(config, train.steps_per_epoch)
    with runtime.strategy.scope():
        whitening = None
        if per_channel and latest is None:
            whitening = model_lib.whitening_kernel(train.x_train, normalization)
        model = model_lib.build_model(config, normalization, whitening)
        model_lib.compile_model(model, config, schedule)
        distribution.build_from_dataset_shapes(model, runtime.strategy, runtime.tf)
        if config.strategy == "multi-worker":
            distribution.patch_keras_for_multi_worker(runtime.tf)
        if latest:
            checkpoints.restore_checkpoint(run.checkpoint_dir, latest, model)
        inference_net = model_lib.build_model(config, normalization, whitening)
        inference_model = tta.with_tta(inference_net, config.tta)
    return Models(model, inference_net, inference_model, normalization, schedule)


def augmentation_of(config: TrainConfig) -> pipeline.Augmentation:
    """The augmentation the config asks for."""
    return pipeline.Augmentation(
        rotation_degrees=config.rotation_degrees,
        shift_fraction=config.shift_fraction,
        horizontal_flip=config.horizontal_flip,
        crop_padding=config.crop_padding,
        cutout=config.cutout,
        alternating_flip=config.alternating_flip,
        jpeg_fraction=config.jpeg_augment,
        jpeg_min_quality=config.jpeg_min_quality,
    )


def save_preview(config: TrainConfig, run: RunFolder, train: TrainingData, tf: Any) -> None:
    """The first training images through the real augmentation function, for the app to show."""
    original = train.x_train[:AUGMENTATION_PREVIEW_IMAGES]
    seed = tf.constant([config.seed, 2**31 - 1], tf.int64)
    augmented = pipeline.augment_batch(tf.constant(original), seed, augmentation_of(config)).numpy()
    save_augmentation_preview(run.path / AUGMENTATION_PREVIEW_FILE, original, augmented)


def fit(
    config: TrainConfig,
    train: TrainingData,
    models: Models,
    start: ResumePoint,
    saver: RunSaver,
    device_use: DeviceUseSource | None = None,
) -> FitResult:
    """Train from the resume point to `config.epochs`, or until a stop; the recorder reports."""
    plan = FitPlan(train.steps_per_epoch, config.epochs, config.batch_size, start.step, start.epoch)
    recorder = RunRecorder(
        plan=plan,
        events=saver.events,
        saver=saver,
        stop=saver.stop,
        validation=(train.x_val, train.y_val),
        test=train.test,
        learning_rate_at=models.schedule,
        device_use=device_use,
    )
    feed = feeding_of(config, models.model)
    stop = saver.stop
    if not stop.is_set():
        if start.step:
            # Finish the epoch a stop interrupted, then go on with whole epochs.
            _fit_epochs(config, train, models, recorder, feed, start.epoch, start.step)
        if not stop.is_set() and recorder.last_epoch_done < config.epochs:
            _fit_epochs(config, train, models, recorder, feed, recorder.last_epoch_done)
    return FitResult(
        recorder.last_epoch_done,
        recorder.steps_done,
        recorder.stop_recorded,
        recorder.last_test_result,
    )


def _fit_epochs(
    config: TrainConfig,
    train: TrainingData,
    models: Models,
    recorder: RunRecorder,
    feed: Feeding,
    first_epoch: int,
    first_step: int = 0,
) -> None:
    """One `model.fit`: from `first_step` of `first_epoch` to the epoch's end (a partial epoch)
    or, from a whole epoch, to `config.epochs`."""
    last_epoch = first_epoch + 1 if first_step else config.epochs
    steps = train.steps_per_epoch - first_step
    dataset = pipeline.training_dataset(
        train.x_train,
        train.y_train,
        batch_size=config.batch_size,
        seed=config.seed,
        augmentation=feed.augmentation,
        start_epoch=first_epoch,
        end_epoch=last_epoch,
        start_step=first_step,
        on_device=feed.on_device,
    )
    execution.use_steps_per_execution(models.model, feed.steps_per_execution)
    models.model.fit(
        dataset,
        epochs=last_epoch,
        initial_epoch=first_epoch,
        steps_per_epoch=steps,
        callbacks=execution.SyncFreeCallbacks(recorder, models.model, last_epoch, steps),
        verbose=0,
        shuffle=False,
    )


@dataclass(frozen=True)
class Feeding:
    """How batches reach the train step."""

    augmentation: pipeline.Augmentation
    on_device: bool
    """Augmented inside the train step (the pipeline only draws the random numbers)."""
    steps_per_execution: int
    """Steps per graph call (an epoch's last call runs only the steps it has left)."""


def feeding_of(config: TrainConfig, model: Any) -> Feeding:
    """The config's augmentation, where it runs and the steps per call, `auto` resolved for the
    device here; sets up `model`'s train step for augmentation on the device."""
    on_gpu = execution.has_gpu()
    feed = Feeding(
        augmentation_of(config),
        execution.augments_on_device(config.augment_on, on_gpu),
        execution.target_steps_per_execution(config.steps_per_execution, on_gpu),
    )
    if feed.on_device:
        pipeline.augment_in_train_step(model, feed.augmentation)
    return feed
