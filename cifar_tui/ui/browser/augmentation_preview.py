"""AugmentationPreview: training images before and after the augmentation pipeline, in columns."""

from __future__ import annotations

import numpy as np
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.events import Resize
from textual.widgets import Static

from cifar_tui.ui.common.pixel_image import PixelImage

CELL_WIDTH = 33
"""A 32-column image and one column of gap."""
CELL_HEIGHT = 17
"""16 lines of half blocks and a caption."""


class AugmentationPreview(VerticalScroll):
    """Each column is one training image: as loaded (top) and as the pipeline fed it (below).

    Fed by `set_images` (arrays from augmentation_preview.npz) or `set_message` (why there is
    nothing to show); it scrolls when the images need more lines than the pane has.
    """

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._original: np.ndarray | None = None
        self._augmented: np.ndarray | None = None
        self._layout: tuple[bool, int] | None = None

    def compose(self) -> ComposeResult:
        yield Static("no augmentation preview loaded", id="augmentation-message")
        yield Grid(id="augmentation-grid")

    @property
    def image_count(self) -> int:
        """Training images shown (each twice: original and augmented)."""
        return 0 if self._original is None else len(self._original)

    def set_message(self, message: str) -> None:
        """Show one line instead of images (e.g. why the preview file is missing)."""
        self._original = self._augmented = None
        self.query_one("#augmentation-message", Static).update(message)
        self._layout = None
        self._layout_images()

    def set_images(self, original: np.ndarray, augmented: np.ndarray) -> None:
        """Show pairs: `original[i]` above `augmented[i]`; both (K, H, W, 3) uint8."""
        self._original, self._augmented = original, augmented
        self.query_one("#augmentation-message", Static).update(
            f"{len(original)} training images as loaded and as the augmentation pipeline fed them"
        )
        self._layout = None
        self._layout_images()

    def on_resize(self, event: Resize) -> None:
        self._layout_images()

    def _layout_images(self) -> None:
        """Columns of (original above augmented) when two images fit in the height, else pairs
        side by side (original, augmented), so one comparison is always fully on screen."""
        grid = self.query_one("#augmentation-grid", Grid)
        if self._original is None or self._augmented is None:
            self._layout = None
            grid.remove_children()
            return
        region = self.scrollable_content_region
        width, height = region.width or self.size.width, region.height or self.size.height
        count = len(self._original)
        stacked = height - 1 >= 2 * CELL_HEIGHT
        if stacked:
            columns = max(1, min(count, (width + 1) // CELL_WIDTH))
        else:
            columns = 2 * max(1, min(count, (width + 1) // (2 * CELL_WIDTH)))
        layout = (stacked, columns)
        if layout == self._layout:
            return
        self._layout = layout
        grid.styles.grid_size_columns = columns
        grid.styles.grid_columns = str(CELL_WIDTH - 1)
        grid.styles.grid_rows = "auto"
        grid.remove_children()
        grid.mount_all(self._cells(stacked, columns))

    def _cells(self, stacked: bool, columns: int) -> list[PixelImage]:
        originals, augmenteds = self._original, self._augmented
        assert originals is not None and augmenteds is not None
        count = len(originals)

        def original(i: int) -> PixelImage:
            return PixelImage(originals[i], caption=f"#{i + 1} original")

        def augmented(i: int) -> PixelImage:
            return PixelImage(augmenteds[i], caption=f"#{i + 1} augmented")

        cells: list[PixelImage] = []
        if not stacked:
            for i in range(count):
                cells += [original(i), augmented(i)]
            return cells
        # Bands of `columns` images: a row of originals, then the same images augmented.
        for start in range(0, count, columns):
            band = range(start, min(start + columns, count))
            padding = [PixelImage(None, caption="") for _ in range(columns - len(band))]
            cells += [original(i) for i in band] + padding
            cells += [augmented(i) for i in band] + [PixelImage(None, caption="") for _ in padding]
        return cells
