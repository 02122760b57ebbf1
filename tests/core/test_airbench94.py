"""airbench94's parts (issue 16, item 2): alternating flips, whitening bias, identity init."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from cifar_tui.core.config import TrainConfig  # noqa: E402
from cifar_tui.core.presets import preset  # noqa: E402
from cifar_tui.core.training import model as model_lib  # noqa: E402
from cifar_tui.core.training.pipeline import (  # noqa: E402
    Augmentation,
    apply_augmentation,
    training_dataset,
)

ALTERNATING = Augmentation(horizontal_flip=True, alternating_flip=True, crop_padding=1)


def _marked_images(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Image i holds i in its centre and a bright mark in its left column: flips show."""
    images = np.zeros((count, 32, 32, 3), np.uint8)
    images[:, 12:20, 12:20, 0] = np.arange(count, dtype=np.uint8)[:, None, None]
    images[:, 8:24, 1, 1] = 255
    return images, np.arange(count) % 10


def _flips_by_image(batches: list, epochs: int, steps: int) -> np.ndarray:
    """(epochs, images) booleans: was image i flipped in that epoch (read from its mark)."""
    flips = np.full((epochs, 64), -1)
    for number, (x, _labels) in enumerate(batches):
        for image in x.numpy():
            index = int(image[16, 16, 0])
            flips[number // steps, index] = int(image[16, :, 1].argmax() > 16)
    return flips


@pytest.mark.parametrize("seed", [0, 5])
def test_alternating_flips_mirror_each_image_on_odd_epochs(seed: int) -> None:
    images, labels = _marked_images(64)
    batches = list(
        training_dataset(images, labels, batch_size=16, seed=seed, augmentation=ALTERNATING,
                         start_epoch=0, end_epoch=4)
    )  # fmt: skip
    flips = _flips_by_image(batches, epochs=4, steps=4)
    assert (flips >= 0).all()  # every image seen once per epoch
    assert 16 < flips[0].sum() < 48  # about half flipped on epoch 0
    for epoch in range(1, 4):  # then each epoch mirrors the one before, image by image
        assert np.array_equal(flips[epoch], 1 - flips[epoch - 1])


def test_random_flips_do_not_alternate() -> None:
    images, labels = _marked_images(64)
    coin = Augmentation(horizontal_flip=True, crop_padding=1)
    batches = list(training_dataset(images, labels, batch_size=16, seed=0, augmentation=coin,
                                    start_epoch=0, end_epoch=2))  # fmt: skip
    flips = _flips_by_image(batches, epochs=2, steps=4)
    assert not np.array_equal(flips[1], 1 - flips[0])


def test_alternating_flips_agree_on_both_augment_paths_and_on_resume() -> None:
    images, labels = _marked_images(64)
    common = {"batch_size": 16, "seed": 3, "augmentation": ALTERNATING, "end_epoch": 3}
    on_cpu = list(training_dataset(images, labels, start_epoch=0, **common))
    on_device = list(training_dataset(images, labels, start_epoch=0, on_device=True, **common))
    resumed = list(training_dataset(images, labels, start_epoch=1, start_step=1, **common))
    for (x, _), (raw, _, draws) in zip(on_cpu, on_device, strict=True):
        assert np.array_equal(x.numpy(), apply_augmentation(raw, draws, ALTERNATING).numpy())
    for (x, _), (x2, _) in zip(on_cpu[5:], resumed, strict=True):
        assert np.array_equal(x.numpy(), x2.numpy())
    assert tf.reduce_any(on_device[0][2][:, 8] > 0.5)


def _airbench(**changes: object) -> tuple[TrainConfig, keras.Model]:
    config = preset("fast").replace(architecture="airbench-small", **changes)
    images = np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3), dtype=np.uint8)
    normalization = model_lib.compute_normalization(images, per_channel=True)
    whitening = model_lib.whitening_kernel(images, normalization)
    return config, model_lib.build_model(config, normalization, whitening)


@pytest.mark.parametrize(("whiten_bias", "trainable"), [(False, []), (True, ["whiten/bias"])])
def test_whitening_bias_trains_while_its_kernel_stays_frozen(
    whiten_bias: bool, trainable: list[str]
) -> None:
    _config, model = _airbench(whiten_bias=whiten_bias)
    whiten = model.get_layer("whiten")
    assert [v.path for v in model.trainable_variables if v.path.startswith("whiten")] == trainable
    assert len(whiten.weights) == 1 + whiten_bias
    if whiten_bias:
        assert np.array_equal(whiten.bias.numpy(), np.zeros(24, np.float32))


@pytest.mark.parametrize(
    "kernel_shape", [(3, 3, 2, 2), (3, 3, 2, 5), (3, 3, 4, 4), (1, 1, 3, 3), (5, 5, 1, 2)]
)
def test_identity_first_filters_pass_each_channel_through(kernel_shape: tuple) -> None:
    kernel = np.random.default_rng(1).normal(size=kernel_shape).astype(np.float32)
    out = model_lib.identity_first_filters(kernel)
    channels = kernel_shape[2]
    image = np.random.default_rng(2).normal(size=(1, 9, 9, channels)).astype(np.float32)
    convolved = keras.ops.convert_to_numpy(keras.ops.conv(image, out, padding="same"))
    assert np.allclose(convolved[..., :channels], image, atol=1e-6)
    assert np.array_equal(out[..., channels:], kernel[..., channels:])


@pytest.mark.parametrize("identity_init", [False, True])
def test_identity_init_sets_every_airbench_conv(identity_init: bool) -> None:
    _config, model = _airbench(identity_init=identity_init)
    convs = [layer for layer in model.layers if layer.name.startswith("group")
             and layer.name[-5:-1] == "conv"]  # fmt: skip
    assert len(convs) == 6
    for conv in convs:
        kernel = conv.kernel.numpy()
        expected = model_lib.identity_first_filters(kernel)
        assert np.array_equal(kernel, expected) == identity_init, conv.name
