"""Test-set predictions: load predictions.npz, filter and sort them, count confusions (numpy)."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from cifar_tui.core.data.cifar10 import load_test_set
from cifar_tui.core.data.locate import find_cifar10
from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.events import read_events
from cifar_tui.core.rundir.runs import AUGMENTATION_PREVIEW_FILE, RunFolder

"""In a run folder: arrays `original` and `augmented`, (K, 32, 32, 3) uint8, from the trainer."""

SORT_ORDERS = ("original", "descending", "ascending")
"""How the browser orders images: test-set order, or by confidence (most sure first / least)."""

SHORT_CLASS_NAMES: dict[str, str] = {"airplane": "plane", "automobile": "auto"}
"""Narrow table headers: CIFAR-10's two long names; every other name is short already."""


class PredictionsError(UserError):
    """predictions.npz (or augmentation_preview.npz) is missing, half-written or malformed."""


@dataclass(frozen=True, eq=False)
class Predictions:
    """Class probabilities for test images, with their true labels (eq=False: arrays)."""

    probabilities: np.ndarray
    """(N, C) float, rows summing to about 1."""
    labels: np.ndarray
    """(N,) int true classes."""
    epoch: int | None
    """The epoch after which they were computed (None if the file does not say)."""

    @cached_property
    def predicted(self) -> np.ndarray:
        """(N,) int: the most probable class of each image."""
        return np.argmax(self.probabilities, axis=1)

    @cached_property
    def confidence(self) -> np.ndarray:
        """(N,) float: the probability of the predicted class."""
        return np.max(self.probabilities, axis=1)

    @cached_property
    def correct(self) -> np.ndarray:
        """(N,) bool: predicted == true label."""
        return self.predicted == self.labels

    @property
    def accuracy(self) -> float:
        """Share of correct predictions in [0, 1]; 0.0 for no images."""
        return float(self.correct.mean()) if len(self.labels) else 0.0

    def __len__(self) -> int:
        return len(self.labels)


def load_predictions(path: Path) -> Predictions:
    """Read a predictions.npz the trainer wrote.

    Args:
        path: the file (arrays `probabilities` (N, C), `labels` (N,), optional scalar `epoch`).

    Returns:
        The predictions, labels as int64.

    Raises:
        PredictionsError: the file is missing, not an npz, or its arrays do not fit together.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise PredictionsError(f"{path} does not exist yet (no epoch has finished)") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        # numpy's text for a non-.npz file advises loading it "unsafely": not for our users.
        reason = "not an .npz archive" if "pickle" in str(error) else str(error)
        raise PredictionsError(f"{path} is not a readable predictions file ({reason})") from None
    for name in ("probabilities", "labels"):
        if name not in arrays:
            raise PredictionsError(f"{path} has no {name!r} array (has {sorted(arrays)})")
    probabilities, labels = arrays["probabilities"], arrays["labels"]
    if probabilities.ndim != 2 or probabilities.shape[1] < 2 or probabilities.dtype.kind != "f":
        raise PredictionsError(
            f"{path}: probabilities have shape {probabilities.shape} ({probabilities.dtype}), "
            "expected (N, classes) floats"
        )
    if labels.shape != (len(probabilities),) or labels.dtype.kind not in "iu":
        raise PredictionsError(
            f"{path}: labels have shape {labels.shape} ({labels.dtype}) for "
            f"{len(probabilities)} rows of probabilities"
        )
    labels = labels.astype(np.int64)
    if len(labels) and (labels.min() < 0 or labels.max() >= probabilities.shape[1]):
        raise PredictionsError(
            f"{path}: labels run {labels.min()}..{labels.max()}, outside classes"
        )
    epoch = arrays.get("epoch")
    epoch_number = int(epoch) if epoch is not None and epoch.size == 1 else None
    return Predictions(probabilities, labels, epoch_number)


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


def select(predictions: Predictions, view: PredictionView) -> np.ndarray:
    """Indices of the test images the view shows, in the order it shows them.

    Args:
        predictions: what the model said.
        view: filters and sort order.

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


def short_class_name(name: str) -> str:
    """A class name for narrow columns (at most 5 characters)."""
    return SHORT_CLASS_NAMES.get(name, name)[:5]


def caption(true_name: str, predicted_name: str, confidence: float) -> str:
    """One image's caption, readable without colour: "✓ cat 97%" or "✗ cat→dog 81%"."""
    percent = f"{100 * confidence:.0f}%"
    if true_name == predicted_name:
        return f"✓ {true_name} {percent}"
    return f"✗ {true_name}→{predicted_name} {percent}"


def describe_view(view: PredictionView, class_names: Sequence[str]) -> str:
    """The active filters and sort in a few words, e.g. "misclassified · true cat · conf ↓"."""
    parts = []
    if view.misclassified_only:
        parts.append("misclassified")
    if view.true_class is not None:
        parts.append(f"true {class_names[view.true_class]}")
    if view.predicted_class is not None:
        parts.append(f"predicted {class_names[view.predicted_class]}")
    if view.sort != "original":
        parts.append("confidence " + ("↓" if view.sort == "descending" else "↑"))
    return " · ".join(parts) if parts else "all"


def recorded_data_source(run_events: Sequence[dict[str, object]]) -> Path | None:
    """The CIFAR-10 archive or folder the latest `run_started` event names, if any."""
    for event in reversed(run_events):
        if event.get("type") == "run_started":
            source = event.get("data_source")
            if isinstance(source, str) and source:
                return Path(source)
    return None


def data_source_of(events_path: Path) -> Path | None:
    """`recorded_data_source` of an events.jsonl file (None if it does not exist)."""
    try:
        return recorded_data_source(read_events(events_path))
    except OSError:  # unreadable events: the caller falls back to the configured data folder
        return None


def load_augmentation_preview(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Read augmentation_preview.npz: training images before and after the pipeline.

    Args:
        path: the file.

    Returns:
        (original, augmented), each (K, 32, 32, 3) uint8.

    Raises:
        PredictionsError: missing, unreadable, or arrays of the wrong shape or type.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise PredictionsError(
            f"no {AUGMENTATION_PREVIEW_FILE} in this run (the trainer writes it as training starts)"
        ) from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise PredictionsError(f"{path} is not a readable preview ({error})") from None
    original, augmented = arrays.get("original"), arrays.get("augmented")
    for name, array in (("original", original), ("augmented", augmented)):
        if array is None:
            raise PredictionsError(f"{path} has no {name!r} array")
        if array.dtype != np.uint8 or array.ndim != 4 or array.shape[3] != 3:
            raise PredictionsError(
                f"{path}: {name} is {array.dtype} {array.shape}, expected (K, H, W, 3) uint8"
            )
    assert original is not None and augmented is not None
    if len(original) != len(augmented):
        raise PredictionsError(
            f"{path}: {len(original)} original images but {len(augmented)} augmented ones"
        )
    return original, augmented


def align_test_images(
    images: np.ndarray, image_labels: np.ndarray, predictions: Predictions
) -> tuple[np.ndarray | None, str | None]:
    """Pair test images with predictions, or say in one line why they do not belong together.

    Predictions cover the first N test images in order, so the images must be at least N and their
    labels must equal the predictions' labels row for row; otherwise an image would be shown with
    another image's prediction.

    Args:
        images: (M, H, W, 3) uint8 test images.
        image_labels: (M,) their labels.
        predictions: the N predictions.

    Returns:
        (the first N images, None), or (None, the reason to show the grid without images).
    """
    count = len(predictions)
    if len(images) < count or len(image_labels) != len(images):
        return None, (
            f"the data source has {len(images)} test images but predictions.npz has {count}; "
            "showing labels only"
        )
    differing = int(np.count_nonzero(np.asarray(image_labels[:count]) != predictions.labels))
    if differing:
        return None, (
            f"{differing} of {count} test labels differ from predictions.npz (another data "
            "source?); showing labels only"
        )
    return images[:count], None


# --- reading a run (the prediction browser does this in a worker thread) -----------------------

ImageLoader = Callable[[Path], tuple[np.ndarray, np.ndarray]]
"""Reads (test images (N, 32, 32, 3) uint8, labels (N,)) from a CIFAR-10 archive or folder."""

TestImages = tuple[np.ndarray | None, np.ndarray | None, str | None]
"""(images, labels, None) when found, else (None, None, why not)."""


def find_test_images(
    run: RunFolder, data_dir: str | Path | None, loader: ImageLoader = load_test_set
) -> TestImages:
    """Load the test images of a run: from the source its run_started event names, else data_dir.

    Args:
        run: the run folder.
        data_dir: where to look when the run names no source that exists here (see find_cifar10:
            None falls back to $CIFAR10_DIR and the Keras cache).
        loader: reads (images, labels) from an archive or folder.

    Returns:
        (images, labels, None) or (None, None, one line saying why there are none).
    """
    recorded = data_source_of(run.events_path)
    try:
        if recorded is not None and recorded.exists():
            source = recorded
        else:
            source = find_cifar10(data_dir)
        images, labels = loader(source)
    except UserError as error:
        return None, None, f"no test images, showing labels only: {error}"
    except OSError as error:
        return None, None, f"no test images, showing labels only: {error}"
    return images, labels, None


@dataclass(frozen=True, eq=False)
class RunData:
    """Everything the browser shows of one run, read in a worker thread."""

    run: RunFolder
    predictions: Predictions | None
    predictions_note: str | None
    file_key: tuple[int, int, int] | None
    """(mtime_ns, size, inode) of predictions.npz when it was read: a change means reload."""
    images: np.ndarray | None
    image_labels: np.ndarray | None
    images_note: str | None
    preview: tuple[np.ndarray, np.ndarray] | None
    preview_note: str | None


def file_key(path: Path) -> tuple[int, int, int] | None:
    """(mtime_ns, size, inode) of a file, None if it is missing: a change means it was rewritten."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def read_run_data(
    run: RunFolder,
    data_dir: str | Path | None,
    loader: ImageLoader,
    images: TestImages | None,
) -> RunData:
    """Read predictions, augmentation preview and (unless given) test images of a run.

    Args:
        run: the run folder.
        data_dir: passed to find_test_images.
        loader: passed to find_test_images.
        images: test images read before (a reload), so they are not read again.

    Returns:
        What there is; each part that could not be read comes with a one-line note instead.
    """
    key = file_key(run.predictions_path)
    predictions, note = None, None
    try:
        predictions = load_predictions(run.predictions_path)
    except UserError as error:
        note = str(error)
    if images is None:
        images = find_test_images(run, data_dir, loader)
    preview, preview_note = None, None
    try:
        preview = load_augmentation_preview(run.path / AUGMENTATION_PREVIEW_FILE)
    except UserError as error:
        preview_note = str(error)
    return RunData(run, predictions, note, key, *images, preview, preview_note)
