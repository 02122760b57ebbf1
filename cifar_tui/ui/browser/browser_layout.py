"""The prediction browser's geometry: cell sizes, how many cells fit, what the detail column gets.

Plain arithmetic on terminal columns and lines (no Textual), so every size can be tested in a table.
"""

from __future__ import annotations

IMAGE_CELL = (32, 17)
"""Columns and lines of a grid cell with an image: 32x16 half blocks and the caption."""
LABEL_CELL = (30, 1)
"""A cell without an image: "▶ ✗ automobile→automobile 100%" is 30 columns."""
GRID_GUTTER = 1
"""Columns between two grid columns (and the grid's left padding)."""
DETAIL_WIDTH = {1: 35, 2: 67}
"""Narrowest detail column for the image at scale 1 or 2: the image, padding and left border."""
DETAIL_MIN_PANE_WIDTH = 100
"""Narrower panes hide the detail column; `z` shows the selected image instead of the grid."""
ZOOM_INFO_WIDTH = 28
"""Columns the class list needs beside the zoomed image."""


def cell_size(has_images: bool) -> tuple[int, int]:
    """(columns, lines) of one grid cell: an image with its caption, or the caption alone."""
    return IMAGE_CELL if has_images else LABEL_CELL


def grid_fit(width: int, height: int, cell: tuple[int, int]) -> tuple[int, int]:
    """(columns, rows) of `cell`-sized cells, a gutter between columns, in width x height lines.

    At least 1 x 1, so a pane too small for one cell still shows one (clipped).
    """
    cell_width, cell_height = cell
    columns = max(1, (width + GRID_GUTTER) // (cell_width + GRID_GUTTER))
    rows = max(1, height // cell_height)
    return columns, rows


def detail_scale(width: int, height: int, *, zoomed: bool) -> int:
    """Scale (1 or 2) of the selected image in a pane of width x height lines (below the status).

    Zoomed, the image has the pane to itself beside the class list; else 2x needs room for the
    wide detail column and still two image columns of grid.
    """
    if zoomed:
        fits_double = width >= 2 * IMAGE_CELL[0] + 4 + ZOOM_INFO_WIDTH and height >= 33
    else:
        fits_double = width >= DETAIL_WIDTH[2] + 2 * (IMAGE_CELL[0] + GRID_GUTTER) and height >= 34
    return 2 if fits_double else 1


def grid_width_beside_detail(width: int, scale: int, cell_width: int) -> int | None:
    """Width of the grid beside the detail column (image at `scale`) in a pane `width` wide.

    Whole grid columns on the left; the detail column gets the rest (DETAIL_WIDTH[scale] or more,
    unless even one grid column does not leave that). None: the pane is too narrow for a detail
    column, and the grid takes all of it.
    """
    if width < DETAIL_MIN_PANE_WIDTH:
        return None
    columns = max(1, (width - DETAIL_WIDTH[scale]) // (cell_width + GRID_GUTTER))
    return columns * (cell_width + GRID_GUTTER)  # + left padding - last gutter
