"""PageGrid: the prediction browser's page of image cells, as many as fit the grid's size."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from textual.containers import Grid
from textual.events import Resize

from cifar_tui.ui.browser.browser_layout import grid_fit
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
