"""What a run's predictions say: the browser's filters and sort, confusions, per-class accuracy.

Pure NumPy over the Predictions that core.rundir.artifacts loads from predictions.npz.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cifar_tui.core.rundir.artifacts import Predictions

SORT_ORDERS = ("original", "descending", "ascending")
"""How the browser orders images: test-set order, or by confidence (most sure first / least)."""


@dataclass(frozen=True)
class PredictionView:
    """Which predictions the browser shows, and in what order."""

    misclassified_only: bool = False
    true_class: int | None = None
    """Only images of this true class (None: all)."""
    predicted_class: int | None = None
    """Only images predicted as this class (None: all)."""
    sort: str = "original"
    """One of SORT_ORDERS."""
    versus: str | None = None
    """Against another run's predictions: "right-wrong" (right here, wrong there), "wrong-right"
    or None (see `versus_mask`)."""


VERSUS = (None, "right-wrong", "wrong-right")
"""The versus filter's states, in the order its key cycles through them."""


def comparable(a: Predictions, b: Predictions) -> str | None:
    """None when two runs' predictions are of the same test set (same labels), else why not."""
    if len(a) != len(b) or not np.array_equal(a.labels, b.labels):
        return (
            f"the runs predicted different test sets ({len(a)} and {len(b)} images, labels "
            "differ): they cannot be compared image by image"
        )
    return None


def versus_mask(a: Predictions, b: Predictions, versus: str) -> np.ndarray:
    """(N,) bool: right in `a` and wrong in `b` ("right-wrong"), or the reverse ("wrong-right").

    Raises ValueError when the two are not of the same test set (`comparable`).
    """
    reason = comparable(a, b)
    if reason is not None:
        raise ValueError(reason)
    if versus == "right-wrong":
        return a.correct & ~b.correct
    if versus == "wrong-right":
        return ~a.correct & b.correct
    raise ValueError(f"unknown versus filter {versus!r}; expected one of {VERSUS[1:]}")


def select(
    predictions: Predictions, view: PredictionView, other: Predictions | None = None
) -> np.ndarray:
    """Indices of the test images the view shows, in the order it shows them.

    Args:
        predictions: what the model said.
        view: filters and sort order.
        other: another run's predictions, for `view.versus` (ignored without it).

    Returns:
        (M,) int64 indices into the test set.
    """
    if view.sort not in SORT_ORDERS:
        raise ValueError(f"unknown sort {view.sort!r}; expected one of {SORT_ORDERS}")
    keep = np.ones(len(predictions), dtype=bool)
    predicted = predictions.predicted
    if view.misclassified_only:
        keep &= predicted != predictions.labels
    if view.true_class is not None:
        keep &= predictions.labels == view.true_class
    if view.predicted_class is not None:
        keep &= predicted == view.predicted_class
    if view.versus is not None and other is not None:
        keep &= versus_mask(predictions, other, view.versus)
    indices = np.flatnonzero(keep).astype(np.int64)
    if view.sort == "original":
        return indices
    confidence = predictions.confidence[indices]
    # Stable sorts, so ties keep test-set order and the view does not shuffle between reloads.
    order = np.argsort(-confidence if view.sort == "descending" else confidence, kind="stable")
    return indices[order]


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    """Count (true, predicted) pairs.

    Args:
        labels: (N,) true classes in [0, classes).
        predicted: (N,) predicted classes in [0, classes).
        classes: the matrix size.

    Returns:
        (classes, classes) int64: row = true class, column = predicted class; it sums to N.
    """
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, np.int64), np.asarray(predicted, np.int64)), 1)
    return matrix


def per_class_accuracy(matrix: np.ndarray) -> np.ndarray:
    """Recall of each true class: diagonal / row sum; NaN for a class with no images."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)


def most_confused(matrix: np.ndarray, count: int = 3) -> list[tuple[int, int, int]]:
    """The largest off-diagonal cells as (true, predicted, images), biggest first; no zeros."""
    off = matrix.copy()
    np.fill_diagonal(off, 0)
    flat = np.argsort(-off, axis=None, kind="stable")[:count]
    pairs = [(int(i // off.shape[1]), int(i % off.shape[1])) for i in flat]
    return [
        (true, predicted, int(off[true, predicted]))
        for true, predicted in pairs
        if off[true, predicted]
    ]


def cycle_class(current: int | None, classes: int = 10, step: int = 1) -> int | None:
    """The next class filter: None (all) -> 0 -> 1 -> ... -> classes-1 -> None (step=-1: back)."""
    # None sits between the last class and the first: positions 0..classes, None at `classes`.
    position = classes if current is None else current
    position = (position + step) % (classes + 1)
    return None if position == classes else position


def next_sort(current: str) -> str:
    """The next sort order in SORT_ORDERS, wrapping around."""
    return SORT_ORDERS[(SORT_ORDERS.index(current) + 1) % len(SORT_ORDERS)]
