"""Half-block and shade rendering, checked the rich-pixels way: print to a recording Console."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from cifar_tui.ui.common.pixels import (
    ASCII_RAMP,
    BLOCK_RAMP,
    half_block_rows,
    half_block_text,
    shade_text,
    upscale,
)

RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)


def image(rows: list[list[tuple[int, int, int]]]) -> np.ndarray:
    return np.array(rows, dtype=np.uint8)


def recording_console(color_system: str = "truecolor") -> Console:
    # no_color=False: the test must not depend on NO_COLOR being set in the environment.
    return Console(
        record=True, width=80, color_system=color_system, no_color=False,
        force_terminal=True, file=io.StringIO(),
    )  # fmt: skip


def printed(text: Text, color_system: str = "truecolor") -> tuple[str, str]:
    """(plain export, the escape codes actually written) for `text` on such a console."""
    console = recording_console(color_system)
    console.print(text)
    written = console.file.getvalue()  # type: ignore[attr-defined]
    return console.export_text(), written


@pytest.mark.parametrize(
    ("pixels", "expected"),
    [
        pytest.param([[RED, GREEN], [BLUE, WHITE]], [[(RED, BLUE), (GREEN, WHITE)]], id="2x2"),
        pytest.param(
            [[RED, GREEN], [BLUE, WHITE], [WHITE, RED]],
            [[(RED, BLUE), (GREEN, WHITE)], [(WHITE, BLACK), (RED, BLACK)]],
            id="odd-height-3x2-padded-black",
        ),
        pytest.param([[RED]], [[(RED, BLACK)]], id="1x1"),
    ],
)
def test_half_block_rows(pixels: list, expected: list) -> None:
    assert half_block_rows(image(pixels)) == expected


def test_half_block_rows_grayscale() -> None:
    gray = np.array([[0, 128], [255, 7]], dtype=np.uint8)
    assert half_block_rows(gray) == [[((0,) * 3, (255,) * 3), ((128,) * 3, (7,) * 3)]]


def test_half_block_rows_are_plain_ints() -> None:
    (((top, _bottom),),) = half_block_rows(image([[RED], [BLUE]]))
    assert all(type(channel) is int for channel in top)


@pytest.mark.parametrize(
    ("shape", "scale", "columns", "lines"),
    [
        pytest.param((32, 32, 3), 1, 32, 16, id="cifar-1x"),
        pytest.param((32, 32, 3), 2, 64, 32, id="cifar-2x"),
        pytest.param((32, 32), 2, 64, 32, id="grayscale-2x"),
        pytest.param((3, 2, 3), 1, 2, 2, id="odd-height"),
        pytest.param((5, 4, 3), 3, 12, 8, id="odd-3x"),
    ],
)
def test_text_dimensions(shape: tuple, scale: int, columns: int, lines: int) -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=shape, dtype=np.uint8)
    for text in (half_block_text(pixels, scale=scale), shade_text(pixels, scale=scale)):
        exported, _ = printed(text)
        assert len(exported.splitlines()) == lines
        assert {len(line) for line in exported.splitlines()} == {columns}


def test_upscale_is_nearest_neighbour() -> None:
    pixels = image([[RED, GREEN]])
    big = upscale(pixels, 2)
    assert big.shape == (2, 4, 3) and big.dtype == np.uint8
    assert half_block_rows(big) == [[(RED, RED), (RED, RED), (GREEN, GREEN), (GREEN, GREEN)]]
    assert upscale(pixels, 1) is pixels


def test_2x2_export_and_styles() -> None:
    text = half_block_text(image([[RED, GREEN], [BLUE, WHITE]]))
    exported, written = printed(text)
    assert exported == "▀▀\n"
    styles = [span.style for span in text.spans]
    assert styles == [
        Style(color=Color.from_rgb(*RED), bgcolor=Color.from_rgb(*BLUE)),
        Style(color=Color.from_rgb(*GREEN), bgcolor=Color.from_rgb(*WHITE)),
    ]
    assert "\x1b[38;2;255;0;0;48;2;0;0;255m▀" in written


def test_uniform_image_is_one_segment_per_row() -> None:
    pixels = np.full((8, 32, 3), 90, dtype=np.uint8)
    text = half_block_text(pixels)
    assert len(text.spans) == 4
    segments = [s for s in text.render(recording_console()) if s.text.strip("\n")]
    assert [s.text for s in segments] == ["▀" * 32] * 4


def test_runs_merge_within_a_row() -> None:
    pixels = image([[RED, RED, BLUE, BLUE, BLUE, RED]])
    text = half_block_text(pixels)
    assert [(span.end - span.start) for span in text.spans] == [2, 3, 1]


def test_256_colour_console_still_shows_the_image() -> None:
    pixels = image([[RED, GREEN, BLUE, WHITE], [BLACK, (128, 128, 128), (200, 120, 40), RED]])
    # rich downgrades truecolor itself: what matters is that distinct colours stay distinct.
    _, written = printed(half_block_text(pixels), color_system="256")
    assert "38;2;" not in written
    colours = re.findall(r"38;5;(\d+);48;5;(\d+)m", written)
    assert len(colours) == 4 and len(set(colours)) == 4
    # Reduced up front, the same image gives the same 256-colour cells.
    _, reduced = printed(half_block_text(pixels, color_system="256"), color_system="256")
    assert re.findall(r"38;5;(\d+);48;5;(\d+)m", reduced) == colours


def test_reducing_colours_up_front_merges_runs() -> None:
    # A gentle gradient: 32 truecolor styles, but only a few 256-colour ones.
    ramp = np.arange(100, 132, dtype=np.uint8)
    pixels = np.stack([ramp, np.zeros_like(ramp), np.zeros_like(ramp)], axis=-1)[None].repeat(2, 0)
    truecolor = half_block_text(pixels)
    reduced = half_block_text(pixels, color_system="256")
    assert len(truecolor.spans) == 32
    assert len(reduced.spans) < 5
    _, full_bytes = printed(truecolor, color_system="256")
    _, small_bytes = printed(reduced, color_system="256")
    assert len(small_bytes) < len(full_bytes) / 4


@pytest.mark.parametrize("system", ["standard", "windows", "256", "truecolor"])
def test_every_colour_system_renders(system: str) -> None:
    exported, _ = printed(half_block_text(image([[RED, BLUE]]), color_system=system), system)
    assert exported == "▀▀\n"


def test_no_colour_falls_back_to_shades() -> None:
    gradient = np.repeat(np.arange(0, 256, 26, dtype=np.uint8)[None, :], 2, axis=0)
    text = half_block_text(gradient, color_system=None)
    assert text.spans == [] and text.style == ""
    assert text.plain == ASCII_RAMP
    assert shade_text(gradient).plain == ASCII_RAMP


@pytest.mark.parametrize(
    ("pixels", "ramp", "expected"),
    [
        pytest.param([[BLACK, WHITE]], ASCII_RAMP, " @", id="odd-row-keeps-brightness"),
        pytest.param([[WHITE], [BLACK]], ASCII_RAMP, "=", id="two-rows-averaged"),
        pytest.param([[BLACK, (128, 128, 128), WHITE]], BLOCK_RAMP, " ▒█", id="block-ramp"),
        pytest.param([[RED, GREEN, BLUE]], ASCII_RAMP, ":+.", id="luma-weights"),
    ],
)
def test_shade_text(pixels: list, ramp: str, expected: str) -> None:
    assert shade_text(image(pixels), ramp=ramp).plain == expected


def test_output_crops_instead_of_wrapping() -> None:
    # Rendered as a widget would render it. (console.print joins Texts into a new one that
    # forgets no_wrap, so it would wrap there: a rich quirk, not this Text's doing.)
    text = half_block_text(np.zeros((4, 100, 3), dtype=np.uint8))
    lines = recording_console().render_lines(text, pad=False)  # the console is 80 wide
    assert ["".join(segment.text for segment in line) for line in lines] == ["▀" * 80] * 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        pytest.param(np.zeros((2, 2, 3), np.float32), "uint8", id="float"),
        pytest.param(np.zeros((2, 2, 3), np.int64), "uint8", id="int64"),
        pytest.param(np.zeros((2, 2, 4), np.uint8), "HxWx3", id="rgba"),
        pytest.param(np.zeros((2,), np.uint8), "HxWx3", id="1d"),
        pytest.param(np.zeros((1, 2, 2, 3), np.uint8), "HxWx3", id="batch"),
        pytest.param(np.zeros((0, 4, 3), np.uint8), "empty", id="empty"),
        pytest.param([[1, 2]], "numpy array", id="list"),
    ],
)
def test_invalid_images_raise(bad: object, message: str) -> None:
    for render in (half_block_rows, half_block_text, shade_text, lambda i: upscale(i, 2)):
        with pytest.raises(ValueError, match=message):
            render(bad)


@pytest.mark.parametrize("factor", [0, -1, 1.5, True])
def test_invalid_scale_raises(factor: object) -> None:
    with pytest.raises(ValueError, match="scale"):
        upscale(np.zeros((2, 2, 3), np.uint8), factor)  # type: ignore[arg-type]


def test_invalid_arguments_raise() -> None:
    pixels = np.zeros((2, 2, 3), np.uint8)
    with pytest.raises(ValueError, match="color system"):
        half_block_text(pixels, color_system="16m")
    with pytest.raises(ValueError, match="ramp"):
        shade_text(pixels, ramp="#")


def test_segment_count_is_small_for_a_real_sized_image() -> None:
    # Over SSH every escape code costs: a 2-colour 32x32 image must not cost 512 segments.
    pixels = np.zeros((32, 32, 3), np.uint8)
    pixels[:, 16:] = 255
    segments = list(half_block_text(pixels, scale=2).render(recording_console()))
    drawn = [s for s in segments if isinstance(s, Segment) and "▀" in s.text]
    assert len(drawn) == 2 * 32
