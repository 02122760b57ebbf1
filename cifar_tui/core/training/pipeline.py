"""tf.data pipelines: uint8 images in, augmentation on the fly, one iterator for the whole fit.

Every random choice (the shuffle of an epoch, each batch's augmentation) is a stateless function of
(seed, epoch, step). That makes a resumed run see exactly the batches an uninterrupted one would,
and lets one dataset span all remaining epochs, which avoids the stall that a fresh autotuned
iterator per epoch costs at each epoch's start (../shared/PERF-NOTES.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.data import host_memory
from cifar_tui.core.training.jpeg_augment import jpeg_some

NUM_CLASSES = 10


@dataclass(frozen=True)
class Augmentation:
    """What to do to each training batch; all zero/False means no augmentation at all."""

    rotation_degrees: float = 0.0
    shift_fraction: float = 0.0
    horizontal_flip: bool = False
    crop_padding: int = 0
    cutout: int = 0
    alternating_flip: bool = False
    """With horizontal_flip: airbench's alternating flips instead of a fresh coin per batch."""
    jpeg_fraction: float = 0.0
    """Share of images JPEG round-tripped first (jpeg_augment.py); on the CPU either way."""
    jpeg_min_quality: int = TrainConfig.jpeg_min_quality
    """The lowest quality of those round trips (to 95)."""

    @property
    def needs_transform(self) -> bool:
        return bool(self.rotation_degrees or self.shift_fraction or self.crop_padding)


DRAWS_PER_IMAGE = 11
"""Per image: the 8 coefficients of its projective transform, flip (1.0 or 0.0), cutout row and
column. `augmentation_draws` makes them, `apply_augmentation` uses them."""


def augment_batch(images: tf.Tensor, seed: tf.Tensor, augmentation: Augmentation) -> tf.Tensor:
    """Augment a uint8 batch (B, H, W, 3) with stateless randomness from `seed` (2 int64s).

    Rotation, shift and pad-crop are one projective transform, so each image is resampled once.
    The recipe's ImageDataGenerator filled with the nearest edge pixel; pad-and-crop reflects.
    """
    if augmentation.jpeg_fraction:
        images = jpeg_some(images, seed, augmentation.jpeg_fraction, augmentation.jpeg_min_quality)
    draws = augmentation_draws(tf.shape(images), seed, augmentation)
    return apply_augmentation(images, draws, augmentation)


def augmentation_draws(shape: tf.Tensor, seed: tf.Tensor, augmentation: Augmentation) -> tf.Tensor:
    """A batch's random choices, (B, DRAWS_PER_IMAGE) float32, from `seed` (2 int64s).

    A few numbers per image: cheap enough for the input pipeline even when the per-pixel work
    (`apply_augmentation`) runs on the device, and the same numbers wherever that runs.
    """
    batch = shape[0]
    height, width = tf.cast(shape[1], tf.float32), tf.cast(shape[2], tf.float32)
    seeds = tf.random.experimental.stateless_split(seed, num=5)
    transforms = tf.zeros([batch, 8])
    if augmentation.needs_transform:
        angle = tf.random.stateless_uniform([batch], seeds[0], -1.0, 1.0) * (
            augmentation.rotation_degrees * math.pi / 180.0
        )
        shift = tf.random.stateless_uniform([batch, 2], seeds[1], -1.0, 1.0)
        shift = shift * tf.stack([width, height]) * augmentation.shift_fraction
        if augmentation.crop_padding:
            pad = augmentation.crop_padding
            crop = tf.random.stateless_uniform([batch, 2], seeds[2], -pad, pad + 1, dtype=tf.int32)
            shift += tf.cast(crop, tf.float32)
        transforms = _transforms(angle, shift, height, width)
    flip = tf.zeros([batch])
    if augmentation.horizontal_flip:
        flip = tf.cast(tf.random.stateless_uniform([batch], seeds[3]) < 0.5, tf.float32)
    centers = tf.zeros([batch, 2])
    if augmentation.cutout:
        drawn = tf.random.stateless_uniform([batch, 2], seeds[4], 0, 1 << 30, dtype=tf.int32)
        centers = tf.cast(drawn % tf.stack([shape[1], shape[2]]), tf.float32)  # exact: < 2**24
    return tf.concat([transforms, flip[:, None], centers], axis=1)


def apply_augmentation(
    images: tf.Tensor, draws: tf.Tensor, augmentation: Augmentation
) -> tf.Tensor:
    """The per-pixel work of augmenting a uint8 batch with its `augmentation_draws`."""
    if augmentation.needs_transform:
        only_integer_moves = not (augmentation.rotation_degrees or augmentation.shift_fraction)
        # Keras 2 resampled float data; resampling uint8 would truncate each blend, making the
        # images half a grey level darker on average, so blend in float32 and round.
        moved = tf.raw_ops.ImageProjectiveTransformV3(
            images=images if only_integer_moves else tf.cast(images, tf.float32),
            transforms=draws[:, :8],
            output_shape=tf.shape(images)[1:3],
            fill_value=0.0,
            interpolation="NEAREST" if only_integer_moves else "BILINEAR",
            fill_mode="REFLECT" if only_integer_moves else "NEAREST",
        )
        images = moved if only_integer_moves else tf.cast(tf.round(moved), images.dtype)
    if augmentation.horizontal_flip:
        flip = draws[:, 8] > 0.5
        images = tf.where(flip[:, None, None, None], tf.reverse(images, axis=[2]), images)
    if augmentation.cutout:
        images = _cutout(images, augmentation.cutout, tf.cast(draws[:, 9:11], tf.int32))
    return images


def _transforms(
    angle: tf.Tensor, shift: tf.Tensor, height: tf.Tensor, width: tf.Tensor
) -> tf.Tensor:
    """(B, 8) projective transforms: rotate by `angle` (radians) about the centre, move by `shift`.

    The op maps each output pixel back to the input pixel it samples: the inverse transform.
    """
    center_x, center_y = (width - 1.0) / 2.0, (height - 1.0) / 2.0
    cos, sin = tf.cos(angle), tf.sin(angle)
    move_x, move_y = center_x + shift[:, 0], center_y + shift[:, 1]
    zeros = tf.zeros_like(angle)
    return tf.stack(
        [
            cos, sin, center_x - cos * move_x - sin * move_y,
            -sin, cos, center_y + sin * move_x - cos * move_y,
            zeros, zeros,
        ],
        axis=1,
    )  # fmt: skip


def _cutout(images: tf.Tensor, size: int, centers: tf.Tensor) -> tf.Tensor:
    """Zero one size x size square per image about its (row, column) centre (may overhang)."""
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    center_y, center_x = centers[:, 0], centers[:, 1]
    rows = tf.range(height)[None, :]
    cols = tf.range(width)[None, :]
    half = size // 2
    in_rows = tf.abs(rows - center_y[:, None]) <= half - (1 - size % 2)
    in_cols = tf.abs(cols - center_x[:, None]) <= half - (1 - size % 2)
    hole = tf.logical_and(in_rows[:, :, None], in_cols[:, None, :])
    return tf.where(hole[..., None], tf.zeros_like(images), images)


def training_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int,
    seed: int,
    augmentation: Augmentation,
    start_epoch: int,
    end_epoch: int,
    start_step: int = 0,
    on_device: bool = False,
) -> tf.data.Dataset:
    """Batches (uint8 images, one-hot float32 labels) for 0-based epochs [start_epoch, end_epoch).

    Each epoch is a seeded permutation cut to `len(images) // batch_size` full batches, as the
    recipe does; `start_step` skips the batches of the first epoch that a stopped run already
    trained on. With `on_device`, batches are (images not yet augmented, labels, their
    `augmentation_draws`) for a model that `augment_in_train_step` set up.
    """
    steps = len(images) // batch_size
    all_images = shared_tensor(images)
    all_labels = tf.constant(labels.astype(np.int32))
    count = len(images)
    alternate = augmentation.horizontal_flip and augmentation.alternating_flip
    first_flips = alternating_flip_bits(count, seed) if alternate else None

    def epoch_batches(epoch: tf.Tensor) -> tf.data.Dataset:
        order = tf.argsort(tf.random.stateless_uniform([count], tf.stack([seed, epoch])))
        order = tf.reshape(order[: steps * batch_size], [steps, batch_size])
        return tf.data.Dataset.from_tensor_slices(
            (tf.fill([steps], epoch), tf.range(steps, dtype=tf.int64), order)
        )

    def make_batch(epoch: tf.Tensor, step: tf.Tensor, index: tf.Tensor) -> tuple[tf.Tensor, ...]:
        batch_images = tf.gather(all_images, index)
        batch_labels = tf.one_hot(tf.gather(all_labels, index), NUM_CLASSES)
        batch_seed = tf.stack([tf.cast(seed, tf.int64) + 1, epoch * 1_000_003 + step])
        if augmentation.jpeg_fraction:  # CPU-only ops: here, before the rest, in both modes
            batch_images = jpeg_some(
                batch_images, batch_seed, augmentation.jpeg_fraction, augmentation.jpeg_min_quality
            )
        draws = augmentation_draws(tf.shape(batch_images), batch_seed, augmentation)
        if first_flips is not None:
            draws = with_alternating_flips(draws, first_flips, index, epoch)
        if on_device:
            return batch_images, batch_labels, draws
        return apply_augmentation(batch_images, draws, augmentation), batch_labels

    dataset = tf.data.Dataset.range(start_epoch, end_epoch).flat_map(epoch_batches)
    if start_step:
        dataset = dataset.skip(start_step)
    dataset = dataset.map(make_batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.prefetch(tf.data.AUTOTUNE)
    # tf.data's default graph rewrites serialise the pipeline when its iterator is made, which
    # copies every captured tensor: 150 MB more for CIFAR-10's training set. They have nothing
    # to add here (the map is already parallel and prefetched); autotuning stays on.
    options = tf.data.Options()
    options.experimental_optimization.apply_default_optimizations = False
    return dataset.with_options(options)


def alternating_flip_bits(count: int, seed: int) -> tf.Tensor:
    """Each training image's own coin (bool, (count,)): whether it is flipped on even epochs.

    airbench94 flips a random half of the images once, then mirrors every image on odd epochs,
    so each image is seen both ways in every pair of epochs. A stateless draw from the seed alone,
    indexed by the image's place in the training set, gives resumed runs the same flips.
    """
    return tf.random.stateless_uniform([count], tf.constant([seed, 2**31 - 2], tf.int64)) < 0.5


def with_alternating_flips(
    draws: tf.Tensor, first_flips: tf.Tensor, index: tf.Tensor, epoch: tf.Tensor
) -> tf.Tensor:
    """`draws` with its flip column replaced: image `index`'s coin, inverted on odd epochs."""
    odd = tf.equal(tf.math.floormod(tf.cast(epoch, tf.int64), 2), 1)
    flips = tf.cast(tf.not_equal(tf.gather(first_flips, index), odd), tf.float32)
    return tf.concat([draws[:, :8], flips[:, None], draws[:, 9:]], axis=1)


def augment_in_train_step(model: Any, augmentation: Augmentation) -> None:
    """Make `model`'s train step augment its batch first, on the model's device.

    It then takes the `on_device` batches of `training_dataset`: (uint8 images, labels, draws);
    the draws ride where Keras has sample weights and never reach the loss. Only the train step
    changes: the model's layers, weights and checkpoints are the same as without.
    """
    train_step, symbolic_build = model.train_step, model._symbolic_build

    def augmented_step(data: tuple[tf.Tensor, ...]) -> Any:
        images, labels, draws = data
        return train_step((apply_augmentation(images, draws, augmentation), labels))

    def build(iterator: Any = None, data_batch: Any = None) -> None:
        # Under a tf.distribute strategy Keras builds from a batch's shapes: images and labels.
        symbolic_build(iterator=iterator, data_batch=None if data_batch is None else data_batch[:2])

    model.train_step = augmented_step
    model._symbolic_build = build
    model.train_function = None  # traced again, with the new step


def shared_tensor(array: np.ndarray) -> tf.Tensor:
    """A tf.Tensor that reads `array`'s buffer in place (DLPack), copying only if unaligned.

    `tf.constant` would hold two more copies of a 150 MB training set. The array must not be
    written to while the tensor lives.
    """
    return tf.experimental.dlpack.from_dlpack(host_memory.aligned(array).__dlpack__())


def steps_per_epoch(train_count: int, batch_size: int) -> int:
    """Full batches per epoch (the recipe's `x_train.shape[0] // batch_size`)."""
    return train_count // batch_size
