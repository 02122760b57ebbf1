"""PageGrid: the prediction browser's page of image cells, as many as fit the grid's size;
CellContents: which image each cell shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from textual.containers import Grid
from textual.events import Resize

from cifar_tui.core.rundir.artifacts import Predictions
from cifar_tui.ui.browser.browser_data import BrowserData
from cifar_tui.ui.browser.browser_layout import grid_fit
from cifar_tui.ui.browser.browser_state import BrowserState
from cifar_tui.ui.common.pixel_image import PixelImage


class PageFit(NamedTuple):
    """What `PageGrid.fit` laid out."""

    columns: int
    rows: int
    removed: list[PixelImage]
    """Cells taken out of the grid (the page got smaller)."""


class PageGrid(Grid):
    """The image grid; tells the browser its new size, so the browser can fit a page of cells.

    The browser puts images into `cells` (in page order) and calls `fit` when the grid's size or
    the kind of cell (image, or caption only) changes.
    """

    def __init__(self, on_resized: Callable[[], None], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._on_resized = on_resized
        self._cells: list[PixelImage] = []
        """The grid's cells in page order (mounted, or being mounted)."""

    @property
    def cells(self) -> tuple[PixelImage, ...]:
        """The cells in page order: the first shows the page's first image."""
        return tuple(self._cells)

    def on_resize(self, event: Resize) -> None:
        self._on_resized()

    def fit(self, cell: tuple[int, int]) -> PageFit | None:
        """Hold as many `cell`-sized (columns, lines) cells as fit; add or remove cells to match.

        Returns:
            The columns and rows of the page and the cells removed, or None while the grid has no
            size yet (nothing changed).
        """
        width, height = self.content_size
        if not width or not height:
            return None
        cell_width, cell_height = cell
        columns, rows = grid_fit(width, height, cell)
        self.styles.grid_size_columns = columns
        self.styles.grid_columns = str(cell_width)
        self.styles.grid_rows = str(cell_height)
        # Our own list, not the grid's children: a removal completes a frame later, so cells
        # still being removed would be counted (and a cell kept that is about to vanish).
        wanted = columns * rows
        removed: list[PixelImage] = []
        if len(self._cells) < wanted:
            added = [PixelImage(None) for _ in range(wanted - len(self._cells))]
            self._cells.extend(added)
            self.mount_all(added)
        elif len(self._cells) > wanted:
            removed = self._cells[wanted:]
            del self._cells[wanted:]
            self.remove_children(removed)
        return PageFit(columns, rows, removed)


class CellContents:
    """Which test image each cell (grid or detail) shows: a cell is redrawn only on a change."""

    def __init__(self, class_names: tuple[str, ...]) -> None:
        self._class_names = class_names
        self._shown_in: dict[PixelImage, int] = {}

    def forget(self, cell: PixelImage | None = None) -> None:
        """Forget what `cell` shows (every cell's, when None: new predictions or images)."""
        if cell is None:
            self._shown_in.clear()
        else:
            self._shown_in.pop(cell, None)

    def show(
        self, cell: PixelImage, index: int, predictions: Predictions, images: np.ndarray | None
    ) -> None:
        """Put test image `index` into `cell`, unless it is there already (saves a redraw)."""
        if self._shown_in.get(cell) == index:
            return
        self._shown_in[cell] = index
        true = self._class_names[int(predictions.labels[index])]
        predicted = self._class_names[int(predictions.predicted[index])]
        confidence = float(predictions.confidence[index])
        cell.set_image(None if images is None else images[index], true, predicted, confidence)


def fill_page(
    cells: tuple[PixelImage, ...],
    detail: PixelImage,
    contents: CellContents,
    state: BrowserState,
    data: BrowserData,
) -> None:
    """The cursor's page into the grid's `cells` (the rest hidden), the selection into `detail`."""
    predictions = data.predictions
    for position, cell in enumerate(cells, state.page_start):
        if predictions is None or position >= state.shown_count:
            cell.display = False
            contents.forget(cell)
            continue
        cell.display = True
        contents.show(cell, int(state.indices[position]), predictions, data.images)
        cell.selected = position == state.cursor
    selected = state.selected_index
    if predictions is None or selected is None:
        contents.forget(detail)
        detail.set_image(None, caption="nothing to show" if predictions else "")
    else:
        contents.show(detail, selected, predictions, data.images)
