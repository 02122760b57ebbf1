"""What the prediction browser has read of the run it shows, as one value (no Textual here)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

import numpy as np

from cifar_tui.core.analysis.run_data import RunData, TestImages, align_test_images
from cifar_tui.core.rundir.artifacts import Predictions
from cifar_tui.core.rundir.folder import RunFolder


@dataclass(frozen=True)
class BrowserData:
    """The run shown, whether a read is under way, and what the last read found."""

    run: RunFolder | None = None
    generation: int = 0
    """Reads started so far: a read that finishes after a newer one started is dropped."""
    loading: bool = False
    loaded_once: bool = False
    """The run was read at least once (with or without predictions found)."""
    file_key: tuple[int, int, int] | None = None
    predictions: Predictions | None = field(default=None, compare=False)
    predictions_note: str | None = None
    images: np.ndarray | None = field(default=None, compare=False)
    """Test images matching the predictions (None: the grid shows labels only)."""
    images_read: TestImages | None = field(default=None, compare=False)
    """The test set as read, kept so a reload of the predictions need not read it again."""
    images_note: str | None = None

    def opened(self, run: RunFolder) -> BrowserData:
        """Nothing read yet of `run` (the generation goes on: older reads stay stale)."""
        return BrowserData(run=run, generation=self.generation)

    def reading(self) -> BrowserData:
        """A new read has started."""
        return replace(self, generation=self.generation + 1, loading=True)

    def failed(self, error: BaseException) -> BrowserData:
        """A read raised (a bug, not a bad file: those come back as notes)."""
        return replace(self, loading=False, predictions_note=f"could not read the run: {error!r}")

    def read(self, data: RunData) -> BrowserData:
        """What a read found, the test images paired with the predictions when they match."""
        images, images_note = None, data.images_note
        if data.predictions is not None and data.images is not None:
            assert data.image_labels is not None
            images, images_note = align_test_images(
                data.images, data.image_labels, data.predictions
            )
        return replace(
            self,
            loading=False,
            loaded_once=True,
            file_key=data.file_key,
            predictions=data.predictions,
            predictions_note=data.predictions_note,
            images=images,
            images_read=(data.images, data.image_labels, data.images_note),
            images_note=images_note,
        )

    def notice(self) -> str:
        """The line over the grid: why predictions or images are missing ("" when neither)."""
        note = self.predictions_note or self.images_note or ""
        if self.run is not None:
            # The run's own files by name: their full path wrapped the note to 4 lines at 80.
            note = note.replace(f"{self.run.path}{os.sep}", "")
        return note
