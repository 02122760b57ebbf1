"""Test-time augmentation built into model.keras from plain Keras layers.

airbench94 (Keller Jordan, 2024) reports its accuracy averaged over flipped and translated
views of each test image. So that `keras.models.load_model("model.keras")` gives back the
figure the run reported, with no cifar-tui code, the views are made inside the saved model:
each view is a fixed 0/1 matrix on the image's columns and one on its rows (a frozen `Dense`
between two `Permute`s), which moves whole pixels exactly, so a uint8 image stays exact.

Levels, as airbench's `tta_level`:
    off:            the network alone.
    flip:           the mean of the logits of the image and its mirror image.
    flip-translate: half the flip mean, plus half the mean of the flip means of the image
                    shifted one pixel up-left and one pixel down-right (reflect-padded).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

TTA_LEVELS = ("off", "flip", "flip-translate")
SINGLE_VIEW_NAME = "single_view"
"""The nested network inside a TTA model: the logits of one view."""
_SIDE = 32


def views_of(level: str) -> int:
    """How many forward passes of the network one image costs at `level`."""
    return {"off": 1, "flip": 2, "flip-translate": 6}[level]


def pixel_map(side: int, flip: bool = False, shift: int = 0) -> np.ndarray:
    """A (side, side) 0/1 matrix M with `out[j] = in[i]` where M[i, j] = 1.

    `shift` moves the content by that many pixels (out[j] = in[j - shift]), reflecting at the
    border as PyTorch's reflect padding does (the edge pixel is not repeated); `flip` then
    mirrors the result.
    """
    matrix = np.zeros((side, side), np.float32)
    for j in range(side):
        source = (side - 1 - j) if flip else j
        source -= shift
        if source < 0:
            source = -source
        elif source > side - 1:
            source = 2 * (side - 1) - source
        matrix[source, j] = 1.0
    return matrix


def with_tta(net: keras.Model, level: str) -> keras.Model:
    """`net` (uint8 images -> probabilities) wrapped to average its logits over `level`'s views.

    Returns `net` itself for "off". The wrapper shares `net`'s weights: set them on `net`.
    """
    if level == "off":
        return net
    logits = keras.Model(net.inputs, net.get_layer("probabilities").input, name=SINGLE_VIEW_NAME)
    image = keras.Input(net.input_shape[1:], dtype="uint8", name="image")
    flips = [_flip_mean(image, logits, shift=0, name="view")]
    if level == "flip-translate":
        # One pixel down-right and one up-left: airbench's two reflect-padded crops.
        shifted = [
            _flip_mean(image, logits, shift, name) for shift, name in ((1, "down"), (-1, "up"))
        ]
        translated = keras.layers.Average(name="translate_mean")(shifted)
        flips = [keras.layers.Average(name="tta_mean")([flips[0], translated])]
    probabilities = keras.layers.Activation("softmax", dtype="float32", name="probabilities")(
        flips[0]
    )
    return keras.Model(image, probabilities, name=f"{net.name}_tta")


def single_view(model: keras.Model) -> keras.Model | None:
    """The network without test-time augmentation (uint8 -> probabilities), or None when
    `model` has none."""
    try:
        logits = model.get_layer(SINGLE_VIEW_NAME)
    except ValueError:
        return None
    probabilities = keras.layers.Activation("softmax", dtype="float32", name="probabilities")(
        logits.output
    )
    return keras.Model(logits.inputs, probabilities)


def tta_level(model: keras.Model) -> str:
    """The TTA level a loaded model was built with ("off" for a plain network)."""
    names = {layer.name for layer in model.layers}
    if "translate_mean" in names:
        return "flip-translate"
    return "flip" if SINGLE_VIEW_NAME in names else "off"


def _flip_mean(image: Any, logits: keras.Model, shift: int, name: str) -> Any:
    """Mean logits of the image shifted by `shift` pixels on both axes, and of its mirror."""
    plain = _move(image, flip=False, shift=shift, name=f"{name}_plain")
    mirror = _move(image, flip=True, shift=shift, name=f"{name}_mirror")
    return keras.layers.Average(name=f"{name}_flip_mean")([logits(plain), logits(mirror)])


def _move(image: Any, flip: bool, shift: int, name: str) -> Any:
    """The image with its columns (and, for a shift, its rows) remapped; identity left as is."""
    if not flip and not shift:
        return image
    # Columns: (B, H, W, C) -> (B, H, C, W), remap the last axis, and back.
    x = keras.layers.Permute((1, 3, 2), name=f"{name}_cols_last")(image)
    x = _fixed_map(x, pixel_map(_SIDE, flip=flip, shift=shift), f"{name}_cols")
    x = keras.layers.Permute((1, 3, 2), name=f"{name}_cols_back")(x)
    if shift:  # rows: (B, H, W, C) -> (B, W, C, H) and back
        x = keras.layers.Permute((2, 3, 1), name=f"{name}_rows_last")(x)
        x = _fixed_map(x, pixel_map(_SIDE, shift=shift), f"{name}_rows")
        x = keras.layers.Permute((3, 1, 2), name=f"{name}_rows_back")(x)
    return x


def _fixed_map(x: Any, matrix: np.ndarray, name: str) -> Any:
    """A frozen float32 Dense whose kernel is `matrix`: whole pixels move, values stay exact."""
    layer = keras.layers.Dense(
        matrix.shape[1], use_bias=False, trainable=False, dtype="float32", name=name
    )
    x = layer(x)
    layer.kernel.assign(matrix)
    return x
