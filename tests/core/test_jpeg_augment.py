"""JPEG augmentation (core/training/jpeg_augment.py): which images, which quality, how close."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from cifar_tui.core.data.corruptions import jpeg
from cifar_tui.core.training.jpeg_augment import jpeg_some


def smooth_images(count: int) -> np.ndarray:
    """Photo-like images (smooth gradients plus noise): JPEG changes them, but not wildly."""
    rng = np.random.default_rng(5)
    ramp = np.linspace(0, 200, 32)[None, :, None, None]
    noise = rng.normal(0, 12, (count, 32, 32, 3))
    return np.clip(ramp.transpose(0, 2, 1, 3) + noise + rng.integers(0, 50, (count, 1, 1, 3)),
                   0, 255).astype(np.uint8)  # fmt: skip


def changed(out: np.ndarray, images: np.ndarray) -> np.ndarray:
    return np.any(out != images, axis=(1, 2, 3))


@pytest.mark.parametrize(
    ("fraction", "low", "high"), [(0.0, 0, 0), (0.5, 70, 130), (1.0, 200, 200)]
)
def test_the_share_of_images_compressed(fraction: float, low: int, high: int) -> None:
    images = smooth_images(200)
    out = jpeg_some(tf.constant(images), tf.constant([3, 4], tf.int64), fraction, 40).numpy()
    assert out.dtype == np.uint8 and out.shape == images.shape
    assert low <= changed(out, images).sum() <= high


def test_the_draws_are_stateless() -> None:
    images = tf.constant(smooth_images(64))
    first = jpeg_some(images, tf.constant([1, 2], tf.int64), 0.5, 40).numpy()
    again = jpeg_some(images, tf.constant([1, 2], tf.int64), 0.5, 40).numpy()
    other = jpeg_some(images, tf.constant([1, 3], tf.int64), 0.5, 40).numpy()
    assert np.array_equal(first, again) and not np.array_equal(first, other)


def test_a_compressed_image_is_close_to_pillows_at_a_quality_in_range() -> None:
    """TensorFlow's encoder (training) against Pillow's (the corrupted test sets): each changed
    image lies nearer to one of Pillow's renderings in 40-95 than to the original."""
    images = smooth_images(8)
    out = jpeg_some(tf.constant(images), tf.constant([8, 8], tf.int64), 1.0, 40).numpy()
    renderings = {q: jpeg(images, q).astype(int) for q in range(40, 96, 5)}
    for index, image in enumerate(out.astype(int)):
        nearest = min(np.abs(image - r[index]).mean() for r in renderings.values())
        assert nearest < 0.5 * np.abs(image - images[index]).mean()


@pytest.mark.parametrize(("lowest", "lowest_seen"), [(40, range(40, 60)), (90, range(85, 96))])
def test_the_quality_floor(lowest: int, lowest_seen: range) -> None:
    """Which of Pillow's renderings (40-95, every 5) each compressed image is nearest to: the
    lowest of those lies near the floor (24 draws: with a floor of 40 some land below 60, with
    90 none below 85)."""
    images = smooth_images(24)
    out = jpeg_some(tf.constant(images), tf.constant([2, 9], tf.int64), 1.0, lowest).numpy()
    renderings = {q: jpeg(images, q).astype(int) for q in range(40, 96, 5)}
    nearest = [
        min(renderings, key=lambda q: np.abs(image - renderings[q][index]).mean())
        for index, image in enumerate(out.astype(int))
    ]
    assert min(nearest) in lowest_seen
