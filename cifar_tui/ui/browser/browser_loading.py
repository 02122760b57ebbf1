"""The prediction browser's reading: a run's predictions and test images, in a worker."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from textual import work
from textual.message import Message
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from cifar_tui.core.analysis.predictions import PredictionView
from cifar_tui.core.analysis.run_data import (
    ImageLoader,
    RunData,
    TestImages,
    align_test_images,
    read_run_data,
)
from cifar_tui.core.rundir.artifacts import Predictions, file_key
from cifar_tui.core.rundir.runs import RunFolder
from cifar_tui.ui.browser.augmentation_preview import AugmentationPreview
from cifar_tui.ui.browser.confusion_view import ConfusionView
from cifar_tui.ui.common.pixel_image import PixelImage

if TYPE_CHECKING:
    from textual.widget import Widget as _Base
else:
    _Base = object


class BrowserLoading(_Base):
    """Reading the browsed run and applying what was read (a mixin: the state is the browser's).

    Polling predictions.npz is set up by the browser's on_mount (every `_poll_interval` s).
    """

    class _DataRead(Message):
        """A worker finished reading a run (private: the browser applies it on its own thread)."""

        def __init__(self, generation: int, data: RunData) -> None:
            super().__init__()
            self.generation = generation
            self.data = data

    view: PredictionView
    _data_dir: str | Path | None
    _image_loader: ImageLoader
    _class_names: tuple[str, ...]
    _run: RunFolder | None
    _generation: int
    _loading: bool
    _loaded_once: bool
    _file_key: tuple[int, int, int] | None
    _predictions: Predictions | None
    _predictions_note: str | None
    _images: np.ndarray | None
    _images_read: TestImages | None
    _images_note: str | None
    _indices: np.ndarray
    _cursor: int
    _shown_in: dict[PixelImage, int]

    if TYPE_CHECKING:  # the browser's own, used here (it subclasses this mixin)
        Loaded: type[Message]
        selected_index: int | None

        def _select(self) -> np.ndarray: ...

        def _restore_cursor(self, selected: int | None) -> None: ...

        def _layout_detail(self) -> None: ...

        def _layout_grid(self) -> None: ...

        def _fill(self) -> None: ...

    def show_run(self, run: RunFolder) -> None:
        """Browse `run`: read its predictions and test images in a thread, then show them."""
        self._run = run
        self._loaded_once = False
        self._file_key = None
        self._predictions = None
        self._predictions_note = None
        self._images = None
        self._images_read = None
        self._images_note = None
        self._indices = np.zeros(0, np.int64)
        self._cursor = 0
        if self.is_mounted:
            self.query_one("#browser-status", Static).update(f"{run.name}: loading predictions…")
            self._start_load(with_images=True)

    def reload(self) -> None:
        """Read predictions.npz (and the augmentation preview) of the shown run again."""
        if self._run is not None:
            self._start_load(with_images=self._images_read is None)

    def _start_load(self, with_images: bool) -> None:
        assert self._run is not None
        self._generation += 1
        self._loading = True
        data_dir = self._data_dir or getattr(self.app, "data_dir", None)
        images = None if with_images else self._images_read
        self._read(self._generation, self._run, data_dir, images)

    @work(thread=True, exclusive=True, group="prediction-browser", exit_on_error=False)
    def _read(
        self,
        generation: int,
        run: RunFolder,
        data_dir: str | Path | None,
        images: TestImages | None,
    ) -> None:
        data = read_run_data(run, data_dir, self._image_loader, images)
        self.post_message(self._DataRead(generation, data))  # post_message is thread-safe

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "prediction-browser" and event.state == WorkerState.ERROR:
            # A bug, not a bad file (those come back as notes): say so, and let polling retry.
            self._loading = False
            self._predictions_note = f"could not read the run: {event.worker.error!r}"
            self._fill()

    def _check_for_update(self) -> None:
        if self._run is None or self._loading:
            return
        if file_key(self._run.predictions_path) != self._file_key:
            self.reload()

    def on_browser_loading__data_read(self, message: _DataRead) -> None:
        message.stop()
        if message.generation != self._generation:
            return  # a newer load (or another run) superseded it
        self._loading = False
        self._loaded_once = True
        self._shown_in.clear()
        data = message.data
        self._file_key = data.file_key
        self._predictions = data.predictions
        self._predictions_note = data.predictions_note
        self._images_read = (data.images, data.image_labels, data.images_note)
        self._images, self._images_note = None, data.images_note
        if data.predictions is not None and data.images is not None:
            assert data.image_labels is not None
            self._images, self._images_note = align_test_images(
                data.images, data.image_labels, data.predictions
            )
        selected = self.selected_index
        self._indices = self._select()
        self._restore_cursor(selected)
        self.query_one(ConfusionView).set_predictions(data.predictions, self._class_names)
        preview = self.query_one(AugmentationPreview)
        if data.preview is not None:
            preview.set_images(*data.preview)
        else:
            preview.set_message(data.preview_note or "no augmentation preview")
        self._layout_detail()
        self._layout_grid()
        self._fill()
        count = 0 if data.predictions is None else len(data.predictions)
        epoch = None if data.predictions is None else data.predictions.epoch
        self.post_message(self.Loaded(data.run, count, epoch))
