"""How `fit` runs its steps (core/training/execution.py): steps per graph call, augmentation on the
device, and batch ends that read the device's numbers only when an event is due."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from recorders import EventList, quiet_recorder

from cifar_tui.core.training import execution
from cifar_tui.core.training import recorder as recorder_module
from cifar_tui.core.training.pipeline import (
    Augmentation,
    apply_augmentation,
    augment_in_train_step,
    training_dataset,
)
from cifar_tui.core.training.stopping import StopRequest


@pytest.mark.parametrize(
    ("requested", "on_gpu", "target"),
    [(0, False, 1), (0, True, execution.GPU_STEPS_PER_EXECUTION), (4, False, 4), (1, True, 1)],
)
def test_auto_steps_per_execution_depends_on_the_device(
    requested: int, on_gpu: bool, target: int
) -> None:
    assert execution.target_steps_per_execution(requested, on_gpu) == target


@pytest.mark.parametrize(
    ("requested", "on_gpu", "on_device"),
    [("auto", False, False), ("auto", True, True), ("cpu", True, False), ("device", False, True)],
)
def test_auto_augments_on_the_device_only_on_a_gpu(
    requested: str, on_gpu: bool, on_device: bool
) -> None:
    assert execution.augments_on_device(requested, on_gpu) is on_device


AUGMENTATIONS = [
    Augmentation(rotation_degrees=15.0, shift_fraction=0.1, horizontal_flip=True),  # recipe
    Augmentation(horizontal_flip=True, crop_padding=2),  # fast
    Augmentation(crop_padding=4, cutout=8),
    Augmentation(),
    Augmentation(jpeg_fraction=0.5, horizontal_flip=True),  # JPEG in the pipeline either way
]


@pytest.mark.parametrize(
    "augmentation", AUGMENTATIONS, ids=["recipe", "fast", "cutout", "none", "jpeg"]
)
def test_the_device_path_makes_the_same_batches_as_the_cpu_path(
    augmentation: Augmentation,
) -> None:
    """Batch by batch over two epochs and a resumed start: the pipeline's draws, applied in a
    traced function as the train step applies them, give the CPU pipeline's images exactly."""
    images = np.random.default_rng(3).integers(0, 256, (120, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(120) % 10
    common = {"batch_size": 24, "seed": 7, "augmentation": augmentation, "start_epoch": 1,
              "end_epoch": 3, "start_step": 2}  # fmt: skip
    on_cpu = list(training_dataset(images, labels, **common))
    on_device = list(training_dataset(images, labels, **common, on_device=True))
    in_step = tf.function(lambda batch, draws: apply_augmentation(batch, draws, augmentation))
    assert len(on_cpu) == len(on_device) == 5 - 2 + 5
    for (cpu_images, cpu_labels), (raw, device_labels, draws) in zip(
        on_cpu, on_device, strict=True
    ):
        assert np.array_equal(in_step(raw, draws).numpy(), cpu_images.numpy())
        assert np.array_equal(device_labels.numpy(), cpu_labels.numpy())


def test_a_model_trained_with_augmentation_in_its_step_matches_the_cpu_pipeline() -> None:
    """Real training, a few steps each way from the same weights: the same weights after."""
    import keras

    images = np.random.default_rng(5).integers(0, 256, (96, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(96) % 10
    augmentation = AUGMENTATIONS[0]

    def trained(on_device: bool) -> list[np.ndarray]:
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Rescaling(1 / 255),
                                  keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D(),
                                  keras.layers.Dense(10, activation="softmax")])  # fmt: skip
        model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
        if on_device:
            augment_in_train_step(model, augmentation)
        dataset = training_dataset(images, labels, batch_size=16, seed=2,
                                   augmentation=augmentation, start_epoch=0, end_epoch=2,
                                   on_device=on_device)  # fmt: skip
        model.fit(dataset, epochs=2, steps_per_epoch=6, verbose=0, shuffle=False)
        return model.get_weights()

    for on_cpu, on_device in zip(trained(False), trained(True), strict=True):
        np.testing.assert_array_equal(on_cpu, on_device)


class CountedReads:
    """A loss value that counts how often it is read as a number (each read: a device sync)."""

    def __init__(self) -> None:
        self.reads = 0

    def __float__(self) -> float:
        self.reads += 1
        return 1.0


class StandInModel:
    stop_training = False


@pytest.mark.parametrize("interval", [0.5, 0.0])
def test_the_recorder_reads_the_loss_only_for_an_event(
    monkeypatch: pytest.MonkeyPatch, interval: float
) -> None:
    """2000 batch ends in a few milliseconds: one event and one read of each number (the
    first batch's), not one per batch; with events every batch, a read each."""
    monkeypatch.setattr(recorder_module, "BATCH_EVENT_INTERVAL", interval)
    events = EventList()
    recorder = quiet_recorder(2000, events=events)
    recorder.set_model(StandInModel())
    loss, accuracy = CountedReads(), CountedReads()
    recorder.on_epoch_begin(0)
    for batch in range(2000):
        recorder.on_train_batch_end(batch, {"loss": loss, "accuracy": accuracy})
    batch_events = [fields for kind, fields in events.appended if kind == "batch"]
    assert loss.reads == accuracy.reads == len(batch_events)
    assert len(batch_events) == (1 if interval else 2000)
    assert recorder.steps_done == 2000


def test_a_stop_is_seen_at_the_batch_it_comes_without_an_event_due() -> None:
    stop = StopRequest()
    recorder = quiet_recorder(100, stop=stop)
    recorder.set_model(StandInModel())
    loss = CountedReads()
    recorder.on_epoch_begin(0)
    for batch in range(10):
        recorder.on_train_batch_end(batch, {"loss": loss})
    stop.request("SIGINT")
    recorder.on_train_batch_end(10, {"loss": loss})
    assert recorder.model.stop_training and recorder.stop_recorded
    assert loss.reads == 2  # the first batch's event and the stop's


@pytest.mark.parametrize(
    ("steps", "first_step", "per_call", "counted"),
    [
        (10, 0, 4, [4, 8, 10]),  # Keras says 11 after the last call; it ran only 2 steps
        (10, 0, 5, [5, 10]),
        (10, 0, 16, [10]),  # one call for the whole epoch
        (10, 6, 4, [10]),  # a resumed epoch: 4 steps left, from step 6
        (10, 3, 4, [7, 10]),
    ],
)
def test_an_epochs_last_call_counts_only_the_steps_it_ran(
    steps: int, first_step: int, per_call: int, counted: list[int]
) -> None:
    """Keras reports each call's last step as `begin + steps_per_execution - 1`, even for the
    epoch's last call, which stops at the end of the data (phases._fit_epochs)."""
    recorder = quiet_recorder(steps, first_step=first_step)
    recorder.set_model(StandInModel())
    recorder.on_epoch_begin(0)
    seen = []
    for begin in range(0, steps - first_step, per_call):
        recorder.on_train_batch_end(begin + per_call - 1, {"loss": 1.0})
        seen.append(recorder.steps_done)
    assert seen == counted


class FunctionsModel:
    """Stands in for a Keras model: which train function each call would use, and its count."""

    def __init__(self, count: int) -> None:
        self.steps_per_execution = count
        self.train_function: object = ("traced for", count)
        self.made = 0

    def make_train_function(self, force: bool = False) -> None:
        self.made += 1
        self.train_function = ("traced for", self.steps_per_execution)


@pytest.mark.parametrize(
    ("steps", "count", "counts_per_call"),
    [
        (50, 8, [8, 8, 8, 8, 8, 8, 2]),  # 50 = 6 x 8 + 2
        (48, 16, [16, 16, 16]),  # a multiple: no second function
        (6250, 16, [16] * 390 + [10]),
        (97, 16, [16] * 6 + [1]),  # a prime number of steps
        (10, 16, [10]),  # fewer steps than the count: one short call
        (7, 1, [1] * 7),
    ],
)
def test_each_epochs_last_call_runs_only_the_steps_left(
    steps: int, count: int, counts_per_call: list[int]
) -> None:
    model = FunctionsModel(count)
    last_call = execution.ShortLastCall(model, steps)
    for _epoch in range(2):  # the second epoch reuses the short function
        seen = []
        for begin in range(0, steps, count):  # as Keras's epoch iterator steps through an epoch
            last_call.before(begin)
            _, traced_for = model.train_function  # type: ignore[misc]
            assert traced_for == model.steps_per_execution  # traced for the count it runs
            seen.append(model.steps_per_execution)
            last_call.after()
            assert (model.steps_per_execution, model.train_function) == (
                count,
                ("traced for", count),
            )
        assert seen == counts_per_call
    assert model.made == (1 if steps % count else 0)
