"""The trainer's TensorFlow parts in-process: model shapes, schedules, augmentation, checkpoints."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from cifar_tui.core.presets import preset  # noqa: E402
from cifar_tui.core.rundir import checkpoints  # noqa: E402
from cifar_tui.core.training import model as model_lib  # noqa: E402
from cifar_tui.core.training.pipeline import Augmentation, augment_batch, training_dataset  # noqa: E402
from cifar_tui.core.training.schedules import TrainingSchedule  # noqa: E402

NORMALIZATION = model_lib.Normalization((120.7,), (64.1,))


@pytest.mark.parametrize(
    ("architecture", "parameters"),
    [("recipe-cnn", 309_290), ("airbench-small", None), ("airbench", None)],
)
def test_models_take_uint8_and_return_probabilities(
    architecture: str, parameters: int | None
) -> None:
    config = preset("recipe-2018").replace(architecture=architecture)
    model = model_lib.build_model(config, NORMALIZATION)
    assert model.input.dtype == "uint8"
    if parameters is not None:
        assert model.count_params() == parameters  # RECIPE.md: "about 309k parameters"
    out = model(np.zeros((2, 32, 32, 3), np.uint8), training=False).numpy()
    assert out.shape == (2, 10) and np.allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_recipe_weight_decay_is_on_the_convolutions_only() -> None:
    # RECIPE.md: each Conv2D has L2 1e-4; the head is a plain Dense(10, softmax).
    model = model_lib.build_model(preset("recipe-2018"), NORMALIZATION)
    regularized = sorted(
        layer.name for layer in model.layers if getattr(layer, "kernel_regularizer", None)
    )
    assert regularized == [f"block{b}_conv{c}" for b in (1, 2, 3) for c in (1, 2)]
    assert model.get_layer("block1_conv1").kernel_regularizer.l2 == pytest.approx(1e-4)


def test_normalization_is_the_recipes_scalar_z_score() -> None:
    images = np.random.default_rng(0).integers(0, 256, (50, 32, 32, 3), dtype=np.uint8)
    stats = model_lib.compute_normalization(images, per_channel=False)
    assert stats.mean[0] == pytest.approx(images.mean()) and stats.std[0] == pytest.approx(
        images.std()
    )
    layer = keras.layers.Rescaling(*stats.scale_and_offset())
    expected = (images.astype(np.float64) - images.mean()) / (images.std() + 1e-7)
    assert np.allclose(layer(images[:2]).numpy(), expected[:2], atol=1e-4)


def test_whitening_kernel_whitens_patches() -> None:
    images = np.random.default_rng(1).integers(0, 256, (200, 32, 32, 3), dtype=np.uint8)
    images[:, :, 1:] = images[:, :, :-1] // 2 + images[:, :, 1:] // 2  # correlated neighbours
    stats = model_lib.compute_normalization(images, per_channel=True)
    kernel = model_lib.whitening_kernel(images, stats, samples=200)
    conv = keras.layers.Conv2D(24, 2, use_bias=False)
    standardized = keras.layers.Rescaling(*stats.scale_and_offset())(images)
    conv.build(standardized.shape)
    conv.set_weights([kernel])
    out = conv(standardized).numpy().reshape(-1, 24)[:, :12]
    covariance = np.cov(out, rowvar=False)
    assert np.allclose(covariance, np.eye(12), atol=0.05)


@pytest.mark.parametrize(
    ("kind", "step", "expected"),
    [
        ("step", 0, 1e-3),
        ("step", 75 * 10 + 9, 1e-3),          # 0-based epoch 75: not yet "> 75"
        ("step", 76 * 10, 5e-4),               # 0-based epoch 76
        ("step", 101 * 10, 3e-4),              # the article's 0.0003 is reached
        ("onecycle", 0, 1e-3 / 20),            # warm-up from ~0
        ("onecycle", 19, 1e-3),                # peak at the end of warm-up
        ("onecycle", 1250, 0.0),               # down to 0 at the end
        ("cosine", 20 + (1250 - 20) // 2, 5e-4),
        ("constant", 999, 1e-3),
    ],
)  # fmt: skip
def test_schedule_shapes(kind: str, step: int, expected: float) -> None:
    schedule = TrainingSchedule(1e-3, kind, steps_per_epoch=10, total_steps=1250,
                                warmup_steps=20, step_epochs=[75, 100],
                                step_values=[5e-4, 3e-4])  # fmt: skip
    assert float(schedule(step)) == pytest.approx(expected, rel=1e-3, abs=1e-9)


def test_time_decay_is_keras_2s_formula() -> None:
    schedule = TrainingSchedule(1e-3, "constant", 781, 781 * 125, time_decay=1e-6)
    step = 781 * 125
    assert float(schedule(step)) == pytest.approx(1e-3 / (1 + 1e-6 * step), rel=1e-5)
    assert float(schedule(step)) / 1e-3 == pytest.approx(0.911, abs=0.002)  # "about 9% by the end"


def _images(n: int = 8) -> np.ndarray:
    return np.random.default_rng(2).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    "augmentation",
    [
        Augmentation(),
        Augmentation(15.0, 0.1, True),
        Augmentation(crop_padding=2, horizontal_flip=True),
        Augmentation(cutout=8),
        Augmentation(jpeg_fraction=0.5, crop_padding=2),
    ],
    ids=["none", "recipe", "crop-flip", "cutout", "jpeg"],
)  # fmt: skip
def test_augmentation_keeps_uint8_and_is_deterministic(augmentation: Augmentation) -> None:
    images = tf.constant(_images())
    first = augment_batch(images, tf.constant([1, 2], tf.int64), augmentation).numpy()
    again = augment_batch(images, tf.constant([1, 2], tf.int64), augmentation).numpy()
    other = augment_batch(images, tf.constant([1, 3], tf.int64), augmentation).numpy()
    assert first.dtype == np.uint8 and first.shape == images.shape
    assert np.array_equal(first, again)
    if augmentation == Augmentation():
        assert np.array_equal(first, images.numpy())
    else:
        assert not np.array_equal(first, other)


def test_crop_padding_moves_whole_pixels() -> None:
    images = _images(64)
    out = augment_batch(tf.constant(images), tf.constant([5, 5], tf.int64),
                        Augmentation(crop_padding=2)).numpy()  # fmt: skip
    for original, moved in zip(images, out, strict=True):
        # Some integer shift in [-2, 2]^2 reproduces the interior exactly.
        assert any(
            np.array_equal(moved[4:28, 4:28], original[4 + dy : 28 + dy, 4 + dx : 28 + dx])
            for dy in range(-2, 3) for dx in range(-2, 3)
        )  # fmt: skip


def test_flip_mirrors_about_half_the_images() -> None:
    images = _images(200)
    out = augment_batch(tf.constant(images), tf.constant([7, 7], tf.int64),
                        Augmentation(horizontal_flip=True)).numpy()  # fmt: skip
    flipped = [np.array_equal(o, i[:, ::-1]) for o, i in zip(out, images, strict=True)]
    kept = [np.array_equal(o, i) for o, i in zip(out, images, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    assert 60 < sum(flipped) < 140


@pytest.mark.parametrize("seed", [[9, 9], [1, 2]])
def test_sub_pixel_moves_keep_the_mean_brightness(seed: list[int]) -> None:
    """Keras 2 resampled float data. Blending uint8 directly would truncate every blend: about
    half a grey level darker on average (-0.50 measured on these images); rounding is unbiased."""
    images = np.random.default_rng(4).integers(0, 256, (1000, 32, 32, 3), dtype=np.uint8)
    recipe = Augmentation(rotation_degrees=15.0, shift_fraction=0.1)
    out = augment_batch(tf.constant(images), tf.constant(seed, tf.int64), recipe).numpy()
    assert out.dtype == np.uint8
    assert abs(out.astype(np.float64).mean() - images.mean()) < 0.1


def test_dataset_resumes_mid_epoch_with_the_same_batches() -> None:
    images, labels = _images(40), np.arange(40) % 10
    common = {"batch_size": 8, "seed": 3, "augmentation": Augmentation(crop_padding=2)}
    whole = list(training_dataset(images, labels, start_epoch=0, end_epoch=2, **common))
    tail = list(
        training_dataset(images, labels, start_epoch=1, end_epoch=2, start_step=2, **common)
    )
    assert len(whole) == 10 and len(tail) == 3
    for (x1, y1), (x2, y2) in zip(whole[7:], tail, strict=True):
        assert np.array_equal(x1.numpy(), x2.numpy()) and np.array_equal(y1.numpy(), y2.numpy())
    # Each epoch is a permutation: every image once per epoch (40 images, 5 full batches).
    first_epoch_labels = np.concatenate([y.numpy().argmax(axis=1) for _, y in whole[:5]])
    assert sorted(first_epoch_labels) == sorted(labels)


def test_checkpoint_round_trip_and_crash_safety(tmp_path: Path) -> None:
    config = preset("quick")
    model = model_lib.build_model(config, NORMALIZATION)
    model_lib.compile_model(model, config, 1e-3)
    x, y = _images(16), keras.utils.to_categorical(np.arange(16) % 10, 10)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    first = checkpoints.save_checkpoint(tmp_path, model, 1, 0, [1.0], [2.0])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    second = checkpoints.save_checkpoint(tmp_path, model, 2, 0, [1.0], [2.0])
    assert not first.exists() and second.exists()  # the older one goes once the new is latest
    twin = model_lib.build_model(config, NORMALIZATION)
    model_lib.compile_model(twin, config, 1e-3)
    info = checkpoints.read_latest(tmp_path)
    assert info is not None and (info.epoch, info.step) == (2, 0)
    checkpoints.restore_checkpoint(tmp_path, info, twin)
    assert int(twin.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) == 4
    for a, b in zip(model.variables, twin.variables, strict=True):
        assert np.array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))


def test_shared_tensor_reads_the_array_in_place_and_copies_an_unaligned_one() -> None:
    from cifar_tui.core.data.host_memory import aligned_empty
    from cifar_tui.core.training.pipeline import shared_tensor

    images = aligned_empty((4, 32, 32, 3), np.uint8)
    images[...] = 1
    tensor = shared_tensor(images)
    images[0, 0, 0, 0] = 9  # in place: the tensor sees the write (nobody writes in real use)
    assert int(tensor[0, 0, 0, 0]) == 9 and tensor.dtype == tf.uint8
    # A view 16 bytes into an aligned buffer would abort TensorFlow's kernels if shared.
    raw = aligned_empty((4 * 32 * 32 * 3 + 16,), np.uint8)
    unaligned = raw[16:].reshape(4, 32, 32, 3)
    unaligned[...] = 5
    copied = shared_tensor(unaligned)
    unaligned[...] = 6
    assert np.array_equal(copied.numpy(), np.full((4, 32, 32, 3), 5, np.uint8))
