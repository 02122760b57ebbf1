"""Test-time views inside model.keras (core/training/tta.py) against numpy's own views."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from cifar_tui.core.training import tta


def numpy_view(images: np.ndarray, flip: bool, shift: int) -> np.ndarray:
    """airbench's views: reflect-pad by 1 and crop (shift +1: rows/cols 0:32, -1: 2:34), then
    mirror; the reference the Dense-matrix views must equal."""
    if shift:
        padded = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
        start = 1 - shift
        images = padded[:, start : start + 32, start : start + 32]
    return images[:, :, ::-1] if flip else images


@pytest.mark.parametrize(
    ("flip", "shift"), [(False, 0), (True, 0), (False, 1), (True, 1), (False, -1), (True, -1)]
)
def test_pixel_maps_move_pixels_as_numpy_reflect_padding_does(flip: bool, shift: int) -> None:
    images = np.random.default_rng(0).integers(0, 256, (2, 32, 32, 3)).astype(np.float32)
    columns = tta.pixel_map(32, flip=flip, shift=shift)
    rows = tta.pixel_map(32, shift=shift)
    moved = np.einsum("bhwc,wv->bhvc", images, columns)
    moved = np.einsum("bhwc,hv->bvwc", moved, rows)
    np.testing.assert_array_equal(moved, numpy_view(images, flip, shift))


@pytest.mark.parametrize(("level", "views"), [("off", 1), ("flip", 2), ("flip-translate", 6)])
def test_views_per_level(level: str, views: int) -> None:
    assert tta.views_of(level) == views


def tiny_net() -> keras.Model:
    image = keras.Input((32, 32, 3), dtype="uint8")
    x = keras.layers.Rescaling(1 / 255)(image)
    x = keras.layers.Conv2D(4, 3, padding="same")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(10, name="logits")(x)
    x = keras.layers.Activation("softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(image, x)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def test_flip_translate_model_averages_the_logits_of_six_views(tmp_path: Path) -> None:
    net = tiny_net()
    images = np.random.default_rng(1).integers(0, 256, (8, 32, 32, 3)).astype(np.uint8)
    logits_of = keras.Model(net.inputs, net.get_layer("logits").output)

    def mean_flip(shift: int) -> np.ndarray:
        views = [numpy_view(images, flip, shift) for flip in (False, True)]
        return np.mean([logits_of.predict(v, verbose=0) for v in views], axis=0)

    expected = softmax(0.5 * mean_flip(0) + 0.25 * (mean_flip(1) + mean_flip(-1)))
    model = tta.with_tta(net, "flip-translate")
    np.testing.assert_allclose(model.predict(images, verbose=0), expected, rtol=1e-5, atol=1e-6)
    # Plain Keras loads it back and gives the same; the level and the single view are found.
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(images, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert tta.tta_level(loaded) == "flip-translate"
    single = tta.single_view(loaded)
    assert single is not None
    np.testing.assert_allclose(
        single.predict(images, verbose=0), net.predict(images, verbose=0), rtol=1e-5, atol=1e-6
    )
    # A saved model's network can be wrapped at another level (bench/jpeg_gap.py --levels).
    np.testing.assert_allclose(
        tta.with_tta(single, "flip").predict(images, verbose=0),
        tta.with_tta(net, "flip").predict(images, verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


def test_flip_level_and_off() -> None:
    net = tiny_net()
    images = np.random.default_rng(2).integers(0, 256, (4, 32, 32, 3)).astype(np.uint8)
    logits_of = keras.Model(net.inputs, net.get_layer("logits").output)
    both = [logits_of.predict(v, verbose=0) for v in (images, images[:, :, ::-1])]
    model = tta.with_tta(net, "flip")
    np.testing.assert_allclose(
        model.predict(images, verbose=0), softmax(np.mean(both, axis=0)), rtol=1e-5, atol=1e-6
    )
    assert tta.tta_level(model) == "flip"
    assert tta.with_tta(net, "off") is net
    assert tta.tta_level(net) == "off" and tta.single_view(net) is None


def test_weights_set_on_the_net_reach_the_wrapper() -> None:
    """RunSaver sets the trained weights on the net; model.keras (the wrapper) must use them."""
    net = tiny_net()
    model = tta.with_tta(net, "flip")
    images = np.random.default_rng(3).integers(0, 256, (2, 32, 32, 3)).astype(np.uint8)
    before = model.predict(images, verbose=0)
    net.set_weights([w * 2 for w in net.get_weights()])
    assert not np.allclose(model.predict(images, verbose=0), before)
