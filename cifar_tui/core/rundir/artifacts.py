"""The .npz files a run folder holds: test-set predictions and the augmentation preview.

`predictions.npz`: `probabilities` (N, C) float, `labels` (N,) int, optional scalar `epoch`.
`augmentation_preview.npz`: `original` and `augmented`, (K, 32, 32, 3) uint8, written by the
trainer as training starts. Both are loaded without pickles and validated here.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.atomic import atomic_write_bytes


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
            f"no {Path(path).name} in this run (the trainer writes it as training starts)"
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


def file_key(path: Path) -> tuple[int, int, int] | None:
    """(mtime_ns, size, inode) of a file, None if it is missing: a change means it was rewritten."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size, stat.st_ino


def save_predictions(path: Path, probabilities: np.ndarray, labels: np.ndarray, epoch: int) -> None:
    """Write predictions.npz atomically: the test set's class probabilities, labels and epoch."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, probabilities=probabilities, labels=labels, epoch=np.int64(epoch))
    atomic_write_bytes(path, buffer.getvalue())


def save_augmentation_preview(path: Path, original: np.ndarray, augmented: np.ndarray) -> None:
    """Write augmentation_preview.npz atomically: training images before and after augmentation."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, original=original, augmented=augmented.astype(np.uint8))
    atomic_write_bytes(path, buffer.getvalue())
