"""What the trainer measures on a labelled set: class probabilities, accuracy and loss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

PREDICT_BATCH_SIZE = 256
"""Images per predict batch, for training and for the `evaluate`/`predict` verbs. The recipe
evaluates with batch 128; any batch gives the same figures, and a larger one is faster."""


@dataclass
class EvaluationResult:
    """Class probabilities for a labelled set and the metrics that follow from them."""

    probabilities: np.ndarray
    labels: np.ndarray
    accuracy: float
    loss: float


def evaluate_probabilities(probabilities: np.ndarray, labels: np.ndarray) -> EvaluationResult:
    """Accuracy and mean categorical cross-entropy (no smoothing, no L2 term) from probabilities."""
    labels = labels.astype(np.int64)
    picked = probabilities[np.arange(len(labels)), labels].astype(np.float64)
    loss = float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0)))) if len(labels) else float("nan")
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == labels)) if len(labels) else 0.0
    return EvaluationResult(probabilities.astype(np.float32), labels, accuracy, loss)


def predict_probabilities(
    model: Any, images: np.ndarray, batch_size: int = PREDICT_BATCH_SIZE
) -> np.ndarray:
    """Class probabilities for uint8 images, in float32."""
    return np.asarray(model.predict(images, batch_size=batch_size, verbose=0), dtype=np.float32)
