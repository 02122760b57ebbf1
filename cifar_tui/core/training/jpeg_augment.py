"""JPEG augmentation: a share of each training batch compressed and decoded at a random quality.

A network trained only on clean images loses points on JPEG-compressed ones (a WRN-28-10 loses
17 on CIFAR-10-C's JPEG average); seeing some compressed images in training closes most of that
gap at little cost on clean ones (BENCHMARKS.md, issue 16). The qualities span CIFAR-10-C's JPEG
severities (80 down to 40) and above by default; `jpeg_min_quality` raises the floor.

Encoding runs on the CPU (TensorFlow has no device kernel for it), so it happens in the input
pipeline before the rest of the augmentation, on either side of `augment_on`; which images and
which quality are stateless draws from the batch's seed, like every other choice.
"""

from __future__ import annotations

import tensorflow as tf

HIGHEST_QUALITY = 95
"""The highest JPEG quality drawn; the lowest is the config's jpeg_min_quality."""


def jpeg_some(images: tf.Tensor, seed: tf.Tensor, fraction: float, lowest: int) -> tf.Tensor:
    """A uint8 batch (B, H, W, 3) with about `fraction` of its images JPEG round-tripped, each
    at its own quality from `lowest` to HIGHEST_QUALITY (inclusive); the choices are stateless
    draws from `seed`."""
    batch = tf.shape(images)[0]
    seeds = tf.random.experimental.stateless_split(tf.stack([seed[0], seed[1] ^ 0x4A504547]), 2)
    chosen = tf.random.stateless_uniform([batch], seeds[0]) < fraction
    qualities = tf.random.stateless_uniform(
        [batch], seeds[1], lowest, HIGHEST_QUALITY + 1, dtype=tf.int32
    )

    def one(args: tuple[tf.Tensor, tf.Tensor, tf.Tensor]) -> tf.Tensor:
        image, pick, quality = args
        return tf.cond(pick, lambda: _round_trip(image, quality), lambda: image)

    return tf.map_fn(
        one, (images, chosen, qualities), fn_output_signature=tf.TensorSpec(None, tf.uint8)
    )


def _round_trip(image: tf.Tensor, quality: tf.Tensor) -> tf.Tensor:
    """One uint8 image through a JPEG encoder at `quality` (a tensor: the op that takes one,
    as tf.image.adjust_jpeg_quality uses) and back."""
    encoded = tf.raw_ops.EncodeJpegVariableQuality(images=image, quality=quality)
    decoded = tf.io.decode_jpeg(encoded, channels=3)
    return tf.ensure_shape(decoded, image.shape)
