"""Deterministic corrupted copies of uint8 images, in the style of CIFAR-10-C (NumPy + Pillow).

The severities' constants are those of Hendrycks & Dietterich (2019), "Benchmarking Neural Network
Robustness to Common Corruptions and Perturbations", as published in their code that built
CIFAR-10-C: github.com/hendrycks/robustness, ImageNet-C/create_c/make_cifar_c.py (functions
gaussian_noise, gaussian_blur, contrast, brightness, jpeg_compression). The operations follow that
code on [0, 1] images; the blur is skimage.filters.gaussian's (truncate 4, edges extended), done
here as a separable NumPy convolution. Random draws use a fixed seed per (corruption, severity), so
two calls give identical images.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image

from cifar_tui.core.errors import UserError

SEVERITIES = (1, 2, 3, 4, 5)

JPEG_QUALITIES = (80, 65, 58, 50, 40)
NOISE_SIGMAS = (0.04, 0.06, 0.08, 0.09, 0.10)
BLUR_SIGMAS = (0.4, 0.6, 0.7, 0.8, 1.0)
CONTRAST_FACTORS = (0.75, 0.5, 0.4, 0.3, 0.15)
BRIGHTNESS_SHIFTS = (0.05, 0.1, 0.15, 0.2, 0.3)

REFERENCE_JPEG_QUALITY = 75
"""The JPEG quality issue 16's goal is measured at (reported on its own, beside the severities)."""

SEED = 20190328
"""Base of every random draw; the corruption's index and the severity complete the seed."""


def _as_unit(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float64) / 255.0


def _to_uint8(unit: np.ndarray) -> np.ndarray:
    """[0, 1] floats to uint8, truncating like the reference's `np.uint8(x * 255)`."""
    return (np.clip(unit, 0.0, 1.0) * 255.0).astype(np.uint8)


def jpeg(images: np.ndarray, quality: int) -> np.ndarray:
    """Each image encoded by Pillow's JPEG encoder at `quality` in memory and decoded again."""
    if not 1 <= quality <= 95:
        raise UserError(f"JPEG quality {quality} is out of range; give 1 to 95")
    out = np.empty_like(images)
    for index, image in enumerate(images):
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
        buffer.seek(0)
        with Image.open(buffer) as decoded:
            out[index] = np.asarray(decoded.convert("RGB"))
    return out


def gaussian_noise(images: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Additive Gaussian noise of standard deviation `sigma` on [0, 1] images."""
    unit = _as_unit(images)
    return _to_uint8(unit + rng.normal(scale=sigma, size=unit.shape))


def _gaussian_kernel(sigma: float) -> np.ndarray:
    radius = int(4.0 * sigma + 0.5)  # scipy.ndimage's truncate=4.0, as skimage uses
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(images: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of each channel (rows then columns), edges extended (`nearest`)."""
    kernel = _gaussian_kernel(sigma)
    radius = len(kernel) // 2
    unit = _as_unit(images)
    for axis in (1, 2):
        pad = [(0, 0)] * unit.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(unit, pad, mode="edge")
        length = unit.shape[axis]
        window = [slice(None)] * unit.ndim
        blurred = np.zeros_like(unit)
        for i, weight in enumerate(kernel):
            window[axis] = slice(i, i + length)
            blurred += weight * padded[tuple(window)]
        unit = blurred
    return _to_uint8(unit)


def contrast(images: np.ndarray, factor: float) -> np.ndarray:
    """Each image's channels pulled toward their own mean: (x - mean) * factor + mean."""
    unit = _as_unit(images)
    means = unit.mean(axis=(1, 2), keepdims=True)
    return _to_uint8((unit - means) * factor + means)


def brightness(images: np.ndarray, shift: float) -> np.ndarray:
    """HSV value raised by `shift` (clipped to 1), hue and saturation kept.

    With H and S fixed every channel scales by V'/V; a black pixel (S = 0 in skimage) becomes grey
    at V' = shift."""
    unit = _as_unit(images)
    value = unit.max(axis=-1, keepdims=True)
    raised = np.minimum(value + shift, 1.0)
    scaled = unit * np.divide(raised, value, out=np.zeros_like(value), where=value > 0)
    return _to_uint8(np.where(value > 0, scaled, raised))


Corruption = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]

CORRUPTIONS: dict[str, Corruption] = {
    "jpeg": lambda x, s, rng: jpeg(x, JPEG_QUALITIES[s - 1]),
    "gaussian_noise": lambda x, s, rng: gaussian_noise(x, NOISE_SIGMAS[s - 1], rng),
    "gaussian_blur": lambda x, s, rng: gaussian_blur(x, BLUR_SIGMAS[s - 1]),
    "contrast": lambda x, s, rng: contrast(x, CONTRAST_FACTORS[s - 1]),
    "brightness": lambda x, s, rng: brightness(x, BRIGHTNESS_SHIFTS[s - 1]),
}
"""Name -> (images, severity, rng) -> corrupted images, in report order."""

LABELS = {
    "jpeg": "JPEG",
    "gaussian_noise": "Gaussian noise",
    "gaussian_blur": "Gaussian blur",
    "contrast": "Contrast",
    "brightness": "Brightness",
}


def corrupt(images: np.ndarray, name: str, severity: int) -> np.ndarray:
    """A corrupted copy of uint8 NHWC `images` (the input is not changed); deterministic."""
    if name not in CORRUPTIONS:
        raise UserError(f"unknown corruption {name!r}; choose one of {', '.join(CORRUPTIONS)}")
    if severity not in SEVERITIES:
        raise UserError(f"corruption severity {severity} is out of range; give 1 to 5")
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise UserError(f"corruptions take uint8 RGB images (N, H, W, 3), not {images.shape}")
    rng = np.random.default_rng([SEED, list(CORRUPTIONS).index(name), severity])
    return CORRUPTIONS[name](images, severity, rng)
