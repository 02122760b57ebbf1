"""The prediction browser's geometry: how many cells fit, the image scale, the grid's width."""

from __future__ import annotations

import pytest

from cifar_tui.ui.browser.browser_layout import (
    DETAIL_WIDTH,
    IMAGE_CELL,
    LABEL_CELL,
    cell_size,
    detail_scale,
    grid_fit,
    grid_width_beside_detail,
)


def test_cell_size() -> None:
    assert cell_size(True) == IMAGE_CELL == (32, 17)
    assert cell_size(False) == LABEL_CELL == (30, 1)


@pytest.mark.parametrize(
    ("width", "height", "cell", "expected"),
    [
        pytest.param(79, 21, IMAGE_CELL, (2, 1), id="80x24-terminal"),
        pytest.param(39, 21, IMAGE_CELL, (1, 1), id="narrow"),
        pytest.param(65, 38, IMAGE_CELL, (2, 2), id="120x40-beside-detail"),
        pytest.param(32, 17, IMAGE_CELL, (1, 1), id="exactly-one"),
        pytest.param(64, 33, IMAGE_CELL, (1, 1), id="second-needs-its-gutter"),
        pytest.param(65, 34, IMAGE_CELL, (2, 2), id="exactly-two-by-two"),
        pytest.param(10, 5, IMAGE_CELL, (1, 1), id="too-small-still-one"),
        pytest.param(79, 21, LABEL_CELL, (2, 21), id="labels-80x24"),
        pytest.param(61, 3, LABEL_CELL, (2, 3), id="labels-exactly-two"),
    ],
)
def test_grid_fit(
    width: int, height: int, cell: tuple[int, int], expected: tuple[int, int]
) -> None:
    assert grid_fit(width, height, cell) == expected


@pytest.mark.parametrize(
    ("width", "height", "zoomed", "expected"),
    [
        pytest.param(120, 38, False, 1, id="120x40"),
        pytest.param(133, 34, False, 2, id="detail-and-two-columns-fit-2x"),
        pytest.param(132, 34, False, 1, id="one-column-too-narrow"),
        pytest.param(133, 33, False, 1, id="one-line-too-short"),
        pytest.param(96, 33, True, 2, id="zoomed-fits-2x"),
        pytest.param(95, 33, True, 1, id="zoomed-one-column-too-narrow"),
        pytest.param(96, 32, True, 1, id="zoomed-one-line-too-short"),
        pytest.param(120, 38, True, 2, id="zoomed-120x40"),
    ],
)
def test_detail_scale(width: int, height: int, zoomed: bool, expected: int) -> None:
    assert detail_scale(width, height, zoomed=zoomed) == expected


@pytest.mark.parametrize(
    ("width", "scale", "cell_width", "expected"),
    [
        pytest.param(80, 1, 32, None, id="80-columns-no-detail"),
        pytest.param(99, 1, 32, None, id="just-too-narrow"),
        pytest.param(100, 1, 32, 33, id="one-column"),
        pytest.param(120, 1, 32, 66, id="120-columns"),
        pytest.param(140, 2, 32, 66, id="2x-detail"),
        pytest.param(200, 2, 32, 132, id="wide"),
        pytest.param(100, 1, 30, 62, id="labels"),
        pytest.param(100, 2, 40, 41, id="at-least-one-column"),
    ],
)
def test_grid_width_beside_detail(
    width: int, scale: int, cell_width: int, expected: int | None
) -> None:
    assert grid_width_beside_detail(width, scale, cell_width) == expected


@pytest.mark.parametrize("cell", [IMAGE_CELL, LABEL_CELL], ids=["images", "labels"])
@pytest.mark.parametrize("scale", [1, 2])
def test_the_grid_beside_the_detail_holds_whole_columns(cell: tuple[int, int], scale: int) -> None:
    """The width given to the grid (its content is 1 column less: the left padding) fits exactly
    the columns it was sized for, and the detail column keeps at least its narrowest width."""
    cell_width, cell_height = cell
    for width in range(100, 301):
        grid_width = grid_width_beside_detail(width, scale, cell_width)
        assert grid_width is not None
        columns = grid_width // (cell_width + 1)
        assert grid_fit(grid_width - 1, cell_height, cell) == (columns, 1)
        if columns > 1:
            assert width - grid_width >= DETAIL_WIDTH[scale]
