"""A model's accuracy on corrupted copies of a test set (CIFAR-10-C style: data/corruptions)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from cifar_tui.core.analysis.robustness_report import RobustnessReport
from cifar_tui.core.data.corruptions import (
    CORRUPTIONS,
    REFERENCE_JPEG_QUALITY,
    SEVERITIES,
    corrupt,
    jpeg,
)
from cifar_tui.core.training.inference import evaluate


def evaluate_corruptions(
    model: Any,
    images: np.ndarray,
    labels: np.ndarray,
    model_name: str = "",
    progress: Callable[[str], None] | None = None,
) -> RobustnessReport:
    """Accuracy of `model` on `images`, on each corruption at each severity, and at JPEG q75.

    Predictions go through inference.evaluate (metrics.PREDICT_BATCH_SIZE), as `evaluate` does."""
    start = time.perf_counter()

    def accuracy(corrupted: np.ndarray, what: str) -> float:
        value = evaluate(model, corrupted, labels).accuracy
        if progress is not None:
            progress(f"{what}: {100 * value:.2f}%")
        return value

    clean = accuracy(images, "clean")
    table = {
        name: tuple(accuracy(corrupt(images, name, s), f"{name} s{s}") for s in SEVERITIES)
        for name in CORRUPTIONS
    }
    q75 = accuracy(jpeg(images, REFERENCE_JPEG_QUALITY), f"jpeg q{REFERENCE_JPEG_QUALITY}")
    return RobustnessReport(
        model=model_name,
        images=len(labels),
        clean=clean,
        jpeg_q75=q75,
        accuracies=table,
        seconds=time.perf_counter() - start,
    )
