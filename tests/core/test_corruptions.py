"""CIFAR-10-C-style corruptions (core/data/corruptions) and the corruptions.json report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cifar_tui.core.analysis import robustness_report as rr
from cifar_tui.core.data import corruptions as c
from cifar_tui.core.errors import UserError


def smooth_images(count: int = 12, seed: int = 0) -> np.ndarray:
    """Photo-like test images: smooth colour gradients plus a little texture, mid-range values."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:32, 0:32] / 31.0
    images = []
    for _ in range(count):
        a, b, base = rng.uniform(-60, 60, 3), rng.uniform(-60, 60, 3), rng.uniform(70, 180, 3)
        image = base + a * xs[..., None] + b * ys[..., None] + rng.normal(0, 8, (32, 32, 3))
        images.append(image)
    return np.clip(np.stack(images), 0, 255).astype(np.uint8)


IMAGES = smooth_images()


def error(name: str, severity: int) -> np.ndarray:
    return c.corrupt(IMAGES, name, severity).astype(np.float64) - IMAGES


@pytest.mark.parametrize("name", list(c.CORRUPTIONS))
def test_each_corruption_keeps_shape_and_dtype_and_changes_the_images(name: str) -> None:
    for severity in c.SEVERITIES:
        out = c.corrupt(IMAGES, name, severity)
        assert out.shape == IMAGES.shape and out.dtype == np.uint8
        assert np.abs(out.astype(int) - IMAGES).mean() > 0.5, (name, severity)


@pytest.mark.parametrize("name", list(c.CORRUPTIONS))
def test_each_corruption_is_deterministic_and_leaves_its_input(name: str) -> None:
    before = IMAGES.copy()
    first = c.corrupt(IMAGES, name, 3)
    assert np.array_equal(first, c.corrupt(IMAGES, name, 3))
    assert np.array_equal(IMAGES, before)


def test_noise_is_seeded_per_severity_not_shared() -> None:
    e1 = error("gaussian_noise", 4) / c.NOISE_SIGMAS[3]
    e2 = error("gaussian_noise", 5) / c.NOISE_SIGMAS[4]
    assert np.corrcoef(e1.ravel(), e2.ravel())[0, 1] < 0.5


def mse(name: str, severity: int) -> float:
    return float(np.mean(error(name, severity) ** 2))


@pytest.mark.parametrize("name", ["jpeg", "gaussian_noise", "gaussian_blur", "brightness"])
def test_error_grows_with_severity(name: str) -> None:
    errors = [mse(name, s) for s in c.SEVERITIES]
    assert errors == sorted(errors) and errors[0] < errors[-1], errors


def test_noise_standard_deviation_matches_sigma() -> None:
    for severity, sigma in zip(c.SEVERITIES, c.NOISE_SIGMAS, strict=True):
        measured = float(np.std(error("gaussian_noise", severity))) / 255
        assert measured == pytest.approx(sigma, rel=0.1), severity  # a little lost to clipping


def test_contrast_shrinks_the_spread_by_its_factor_and_keeps_the_mean() -> None:
    spread = IMAGES.std(axis=(1, 2))
    for severity, factor in zip(c.SEVERITIES, c.CONTRAST_FACTORS, strict=True):
        out = c.corrupt(IMAGES, "contrast", severity).astype(np.float64)
        assert out.std(axis=(1, 2)) == pytest.approx(factor * spread, abs=1.0)
        assert out.mean(axis=(1, 2)) == pytest.approx(IMAGES.mean(axis=(1, 2)), abs=1.0)


def test_brightness_raises_the_hsv_value_and_keeps_hue() -> None:
    pixels = np.array([[[[0, 0, 0], [100, 50, 25], [250, 10, 10], [255, 255, 255]]]], np.uint8)
    out = c.brightness(pixels, 0.2).astype(int)[0, 0]
    assert list(out[0]) == [51, 51, 51]  # black turns grey (skimage: S = 0 at V = 0)
    assert out[1, 0] == int((100 / 255 + 0.2) * 255) and out[1, 1] * 2 == pytest.approx(
        out[1, 0], abs=1
    )
    assert list(out[2]) == [255, 10, 10]  # V already near 1: clipped, ratios kept
    assert list(out[3]) == [255, 255, 255]


def test_blur_smooths_and_keeps_flat_images() -> None:
    flat = np.full((2, 32, 32, 3), 90, np.uint8)
    for severity in c.SEVERITIES:
        assert np.array_equal(c.corrupt(flat, "gaussian_blur", severity), flat)
    rough = np.diff(IMAGES.astype(float), axis=2).std()
    assert np.diff(c.corrupt(IMAGES, "gaussian_blur", 5).astype(float), axis=2).std() < rough / 2


def test_jpeg_qualities_are_the_papers() -> None:
    assert c.JPEG_QUALITIES == (80, 65, 58, 50, 40)
    for severity, quality in zip(c.SEVERITIES, c.JPEG_QUALITIES, strict=True):
        assert np.array_equal(c.corrupt(IMAGES, "jpeg", severity), c.jpeg(IMAGES, quality))


@pytest.mark.parametrize(
    ("name", "severity", "images", "message"),
    [
        ("jpeg", 0, IMAGES, "severity 0 is out of range"),
        ("jpeg", 6, IMAGES, "severity 6 is out of range"),
        ("fog", 1, IMAGES, "unknown corruption 'fog'"),
        ("contrast", 1, IMAGES.astype(np.float32), "uint8 RGB images"),
        ("contrast", 1, IMAGES[..., 0], "uint8 RGB images"),
    ],
)
def test_bad_requests_are_refused(
    name: str, severity: int, images: np.ndarray, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        c.corrupt(images, name, severity)


def sample_report() -> rr.RobustnessReport:
    table = {name: tuple(0.9 - 0.05 * s - 0.01 * i for s in c.SEVERITIES)
             for i, name in enumerate(c.CORRUPTIONS)}  # fmt: skip
    return rr.RobustnessReport("m.keras", 100, 0.91, 0.85, table, 2.5)


def test_report_round_trips_through_the_run_folder(tmp_path: Path) -> None:
    assert rr.read_report(tmp_path) is None
    report = sample_report()
    path = rr.write_report(tmp_path, report)
    assert path == tmp_path / "corruptions.json"
    assert rr.read_report(tmp_path) == report
    data = json.loads(path.read_text())
    assert data["corruptions"]["jpeg"]["severities"]["1"] == pytest.approx(0.85)
    assert data["mean_corruption_accuracy"] == pytest.approx(report.mca)
    assert report.mean("jpeg") == pytest.approx(0.75)
    assert report.mca == pytest.approx(0.75 - 0.01 * 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "is not JSON"),
        ('{"version": 9}', "not a version 1"),
        ('{"version": 1, "model": "m"}', "lacks"),
    ],
)
def test_bad_report_files_give_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "corruptions.json").write_text(text)
    with pytest.raises(ValueError, match=message):
        rr.read_report(tmp_path)


def test_out_of_range_accuracy_is_refused() -> None:
    data = sample_report().to_json()
    data["clean_accuracy"] = 1.5
    with pytest.raises(ValueError, match="between 0 and 1"):
        rr.report_from_json(data)


def test_report_lines_show_every_row_in_percent() -> None:
    lines = rr.report_lines(sample_report())
    assert lines[0].split() == ["corruption", "s1", "s2", "s3", "s4", "s5", "mean"]
    assert lines[1].split() == ["JPEG", "85.00", "80.00", "75.00", "70.00", "65.00", "75.00"]
    assert lines[6].split() == ["clean", "91.00"]
    assert lines[7].split() == ["JPEG", "q75", "85.00"]
    assert lines[8].split() == ["mCA", "73.00"]


@pytest.mark.parametrize("sigma", c.BLUR_SIGMAS)
def test_blur_spreads_a_point_as_a_truncated_gaussian(sigma: float) -> None:
    point = np.zeros((1, 32, 32, 3), np.uint8)
    point[0, 16, 16] = 255
    out = c.gaussian_blur(point, sigma)[0, :, :, 0].astype(float)
    radius = int(4 * sigma + 0.5)  # scipy.ndimage's truncate=4 (skimage.filters.gaussian's)
    weights = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    weights /= weights.sum()
    expected = np.floor(255 * np.outer(weights, weights) + 1e-9)
    assert np.array_equal(out[16 - radius : 17 + radius, 16 - radius : 17 + radius], expected)
    assert out.sum() == expected.sum()  # nothing beyond the truncation radius
