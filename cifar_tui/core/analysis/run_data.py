"""Read what the prediction browser shows of a run: predictions, preview and test images.

Runs in the browser's worker thread. Test images come from the CIFAR-10 source the run's
run_started event names, else from the configured data folder; images that do not match the
predictions row for row are left out with a one-line note.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cifar_tui.core.data.cifar10 import load_test_set
from cifar_tui.core.data.locate import find_cifar10
from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.artifacts import (
    Predictions,
    file_key,
    load_augmentation_preview,
    load_predictions,
)
from cifar_tui.core.rundir.event_types import Event, RunStarted
from cifar_tui.core.rundir.events import read_events
from cifar_tui.core.rundir.folder import AUGMENTATION_PREVIEW_FILE, RunFolder


def recorded_data_source(run_events: Sequence[Event]) -> Path | None:
    """The CIFAR-10 archive or folder the latest `run_started` event names, if any."""
    for event in reversed(run_events):
        if isinstance(event, RunStarted) and event.data_source:
            return Path(event.data_source)
    return None


def data_source_of(events_path: Path) -> Path | None:
    """`recorded_data_source` of an events.jsonl file (None if it does not exist)."""
    try:
        return recorded_data_source(read_events(events_path, latest_batch_only=True))
    except OSError:  # unreadable events: the caller falls back to the configured data folder
        return None


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
