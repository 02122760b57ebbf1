"""Model builders from Keras 3 layers only, so `keras.models.load_model` needs no cifar-tui code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.training.airbench_sgd import AirbenchSGD
from cifar_tui.core.training.keras2_rmsprop import Keras2RMSprop

NUM_CLASSES = 10
IMAGE_SHAPE = (32, 32, 3)
# The recipe's `(x - mean) / (std + 1e-7)`.
STD_EPSILON = 1e-7
# Widths of the three conv groups: airbench94's (Keller Jordan, 2024) and a CPU-sized sibling.
AIRBENCH_WIDTHS = {"airbench": (64, 256, 256), "airbench-small": (64, 128, 128)}


@dataclass(frozen=True)
class Normalization:
    """z-score statistics of the training set; scalars (the recipe) or one value per channel."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    def scale_and_offset(self) -> tuple[Any, Any]:
        """`keras.layers.Rescaling` arguments: x * scale + offset == (x - mean) / (std + eps)."""
        scale = [1.0 / (s + STD_EPSILON) for s in self.std]
        offset = [-m / (s + STD_EPSILON) for m, s in zip(self.mean, self.std, strict=True)]
        return (scale[0], offset[0]) if len(scale) == 1 else (scale, offset)


def compute_normalization(
    images: np.ndarray, per_channel: bool, chunk: int = 1000
) -> Normalization:
    """Mean and std of uint8 images in float64, a chunk at a time (no full-size float copy).

    A chunk of 1,000 images costs 2 x 25 MB of float64 while it is summed (5,000 cost 250 MB,
    which set the trainer's peak memory).
    """
    axis = (0, 1, 2) if per_channel else None
    total = np.zeros(3 if per_channel else 1)
    total_sq = np.zeros_like(total)
    for start in range(0, len(images), chunk):
        block = images[start : start + chunk].astype(np.float64)
        total += np.sum(block, axis=axis)
        total_sq += np.sum(block * block, axis=axis)
    count = images.size / (3 if per_channel else 1)
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean * mean, 0.0))
    return Normalization(tuple(float(m) for m in mean), tuple(float(s) for s in std))


def build_model(
    config: TrainConfig, normalization: Normalization, whitening: np.ndarray | None = None
) -> keras.Model:
    """The network the config names; it takes raw uint8 images and returns class probabilities."""
    inputs = keras.Input(IMAGE_SHAPE, dtype="uint8", name="image")
    scale, offset = normalization.scale_and_offset()
    x = keras.layers.Rescaling(scale, offset, name="standardize")(inputs)
    if config.architecture in AIRBENCH_WIDTHS:
        x = _airbench_body(x, config, whitening)
    else:
        x = _recipe_body(x, config)
    x = keras.layers.Activation("softmax", dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, x, name=config.architecture.replace("-", "_"))


def _recipe_body(x: Any, config: TrainConfig) -> Any:
    """RECIPE.md: 3 blocks of 2x (Conv 3x3 + L2, ELU, BatchNorm), pool, dropout; 309k params."""
    regularizer = keras.regularizers.L2(config.weight_decay) if config.weight_decay else None
    for block, (filters, rate) in enumerate(zip((32, 64, 128), config.dropout, strict=True), 1):
        for layer in (1, 2):
            x = keras.layers.Conv2D(
                filters, 3, padding="same", kernel_regularizer=regularizer,
                name=f"block{block}_conv{layer}",
            )(x)  # fmt: skip
            x = keras.layers.Activation("elu", name=f"block{block}_elu{layer}")(x)
            x = keras.layers.BatchNormalization(
                momentum=config.batch_norm_momentum, name=f"block{block}_bn{layer}"
            )(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
        x = keras.layers.Dropout(rate, name=f"block{block}_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    # The recipe's head is a plain Dense(10): its L2 weight decay is on the convolutions only.
    return keras.layers.Dense(NUM_CLASSES, name="logits")(x)


def _airbench_body(x: Any, config: TrainConfig, whitening: np.ndarray | None) -> Any:
    """airbench94's net: frozen 2x2 patch-whitening conv, three conv groups, max-pooled head."""
    regularizer = keras.regularizers.L2(config.weight_decay) if config.weight_decay else None
    bias = config.whiten_bias
    whiten = keras.layers.Conv2D(24, 2, padding="valid", use_bias=bias, name="whiten")
    x = whiten(x)
    if whitening is not None:
        whiten.kernel.assign(whitening)
    if bias:  # airbench94: the kernel stays the data-derived basis, its bias (from 0) trains
        whiten.kernel.trainable = False
    else:
        whiten.trainable = False  # a fixed, data-derived basis; training it gains nothing
    x = keras.layers.Activation("gelu", name="whiten_gelu")(x)
    for group, (width, rate) in enumerate(
        zip(AIRBENCH_WIDTHS[config.architecture], config.dropout, strict=True), 1
    ):
        for layer in (1, 2):
            conv = keras.layers.Conv2D(
                width, 3, padding="same", use_bias=False, kernel_regularizer=regularizer,
                name=f"group{group}_conv{layer}",
            )  # fmt: skip
            x = conv(x)
            if config.identity_init:
                conv.kernel.assign(identity_first_filters(conv.kernel.numpy()))
            if layer == 1:
                x = keras.layers.MaxPooling2D(2, name=f"group{group}_pool")(x)
            # BatchNorm with only a trained bias (scale=False), as airbench does.
            x = keras.layers.BatchNormalization(
                momentum=config.batch_norm_momentum, scale=False, epsilon=1e-12,
                name=f"group{group}_bn{layer}",
            )(x)  # fmt: skip
            x = keras.layers.Activation("gelu", name=f"group{group}_gelu{layer}")(x)
        if rate:
            x = keras.layers.Dropout(rate, name=f"group{group}_dropout")(x)
    x = keras.layers.GlobalMaxPooling2D(name="global_pool")(x)
    x = keras.layers.Dense(
        NUM_CLASSES, use_bias=False, kernel_regularizer=regularizer, name="logits"
    )(x)
    # airbench scales logits by 1/9 (its `Mul(1/9)`): a cooler start for the softmax.
    return keras.layers.Rescaling(1.0 / 9.0, name="logit_scale")(x)


def identity_first_filters(kernel: np.ndarray) -> np.ndarray:
    """airbench94's Dirac init: a (kh, kw, in, out) kernel whose first `in` filters pass their
    own input channel through unchanged (centre tap 1, all else 0); the rest are kept."""
    kernel = np.array(kernel, copy=True)
    channels = kernel.shape[2]
    kernel[..., :channels] = 0.0
    kernel[kernel.shape[0] // 2, kernel.shape[1] // 2, range(channels), range(channels)] = 1.0
    return kernel


def whitening_kernel(
    images: np.ndarray, normalization: Normalization, samples: int = 2000, epsilon: float = 5e-4
) -> np.ndarray:
    """Conv kernel (2, 2, 3, 24) whose 12 filters whiten 2x2 patches, plus their negatives.

    Computed from the covariance of standardized 2x2 patches of the first `samples` images.
    """
    scale, offset = (np.asarray(v, np.float32) for v in normalization.scale_and_offset())
    subset = images[:samples].astype(np.float32) * scale + offset
    # patches[n, y, x, i, j, c] = pixel (y + i, x + j, c): the (kh, kw, in) order of a Keras kernel.
    rows = [np.stack([subset[:, i : i + 31, j : j + 31] for j in (0, 1)], axis=3) for i in (0, 1)]
    patches = np.stack(rows, axis=3).reshape(-1, 12)
    covariance = np.cov(patches, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    filters = eigenvectors / np.sqrt(eigenvalues + epsilon)  # columns are filters
    kernel = np.concatenate([filters, -filters], axis=1).reshape(2, 2, 3, 24)
    return kernel.astype(np.float32)


def compile_model(model: keras.Model, config: TrainConfig, schedule: Any) -> None:
    """Attach the optimizer, loss and metrics the config names (and jit; steps_per_execution is
    set for each fit: execution.use_steps_per_execution)."""
    if config.optimizer == "sgd" and (config.bias_lr_scale != 1.0 or config.lookahead):
        optimizer = AirbenchSGD(
            schedule, momentum=config.momentum, nesterov=config.nesterov,
            bias_lr_scale=config.bias_lr_scale, lookahead_every=5 if config.lookahead else 0,
            total_steps=getattr(schedule, "total_steps", 1),
        )  # fmt: skip
    elif config.optimizer == "sgd":
        optimizer = keras.optimizers.SGD(
            schedule, momentum=config.momentum, nesterov=config.nesterov
        )
    elif config.optimizer == "adam":
        optimizer = keras.optimizers.Adam(schedule)
    elif config.optimizer == "adamw":
        optimizer = keras.optimizers.AdamW(schedule)
    elif config.optimizer == "rmsprop-keras2":  # the recipe's: epsilon outside the square root
        optimizer = Keras2RMSprop(schedule)
    else:
        optimizer = keras.optimizers.RMSprop(schedule, momentum=config.momentum)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
        metrics=["accuracy"],
        jit_compile=config.jit_compile,
    )
