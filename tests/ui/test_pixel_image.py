"""PixelImage: the half-block image and its caption, rendered the rich-pixels way and as SVG."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from rich.console import Console
from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import Horizontal

from cifar_tui.ui.common.pixel_image import SELECTED_MARK, PixelImage
from cifar_tui.ui.common.pixels import HALF_BLOCK, shade_text


@pytest.fixture(autouse=True)
def truecolor_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps built in these tests see a truecolor terminal with colour allowed."""
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)


def gradient(size: int = 32) -> np.ndarray:
    """A size x size image: red grows to the right, green downwards, blue constant."""
    ramp = np.linspace(0, 255, size).astype(np.uint8)
    red = np.tile(ramp, (size, 1))
    return np.stack([red, red.T, np.full_like(red, 90)], axis=-1)


def exported(text: Text, width: int = 80) -> str:
    """Plain text of `text` as a recording Console prints it (the rich-pixels check)."""
    console = Console(record=True, width=width, file=io.StringIO(), force_terminal=True)
    console.print(text)
    return console.export_text()


class ImagesApp(App[None]):
    """Minimal host: the given PixelImages side by side."""

    CSS = "Horizontal { height: auto; } PixelImage { margin-right: 1; }"

    def __init__(self, make: Callable[[], list[PixelImage]]) -> None:
        super().__init__()
        self._make = make

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield from self._make()


def captioned_pair() -> list[PixelImage]:
    return [
        PixelImage(gradient(), true_label="cat", predicted_label="cat", confidence=0.974),
        PixelImage(gradient()[::-1], true_label="cat", predicted_label="dog", confidence=0.81),
    ]


async def test_scale_one_is_32_columns_by_16_lines_plus_caption() -> None:
    app = ImagesApp(captioned_pair)
    async with app.run_test(size=(80, 24)):
        correct, wrong = app.query(PixelImage)
        assert correct.region.size == (32, 17) and wrong.region.size == (32, 17)
        assert (correct.correct, wrong.correct) == (True, False)
        lines = exported(correct.render()).splitlines()
        assert lines[:16] == [HALF_BLOCK * 32] * 16
        assert lines[16].rstrip() == "✓ cat 97%"
        assert exported(wrong.render()).splitlines()[16].rstrip() == "✗ cat→dog 81%"


async def test_caption_colours_follow_correctness() -> None:
    app = ImagesApp(captioned_pair)
    async with app.run_test(size=(80, 24)):
        correct, wrong = app.query(PixelImage)
        correct_style = correct.render().spans[-1].style
        wrong_style = wrong.render().spans[-1].style
        assert correct_style.color != wrong_style.color  # type: ignore[union-attr]
        assert correct_style == correct.get_component_rich_style(  # type: ignore[comparison-overlap]
            "pixel-image--correct", partial=True
        )


async def test_auto_scale_doubles_only_when_there_is_room() -> None:
    app = ImagesApp(lambda: [PixelImage(gradient(), caption="big", scale=None)])
    async with app.run_test(size=(80, 40)) as pilot:
        image = app.query_one(PixelImage)
        assert image.shown_scale == 2 and image.region.size == (64, 33)
        await pilot.resize_terminal(60, 40)
        await pilot.pause()
        assert image.shown_scale == 1 and image.region.size == (32, 17)


async def test_selected_caption_is_marked_without_colour() -> None:
    app = ImagesApp(captioned_pair)
    async with app.run_test(size=(80, 24)) as pilot:
        image = app.query(PixelImage).first()
        image.selected = True
        await pilot.pause()
        assert exported(image.render()).splitlines()[16].rstrip() == SELECTED_MARK + "✓ cat 97%"


async def test_no_image_draws_the_caption_alone() -> None:
    app = ImagesApp(lambda: [PixelImage(None, caption="labels only")])
    async with app.run_test(size=(80, 24)):
        image = app.query_one(PixelImage)
        assert image.region.size == (len("labels only"), 1)
        assert exported(image.render()).rstrip() == "labels only"


async def test_no_color_draws_the_shade_ramp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = ImagesApp(lambda: [PixelImage(gradient(), caption="grey")])
    async with app.run_test(size=(80, 24)):
        rendered = app.query_one(PixelImage).render()
        assert exported(rendered).splitlines()[:16] == exported(shade_text(gradient())).splitlines()
        assert HALF_BLOCK not in rendered.plain


async def test_256_colour_terminal_reduces_to_the_palette(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLORTERM")
    monkeypatch.setenv("TERM", "xterm-256color")
    app = ImagesApp(lambda: [PixelImage(gradient(), caption="256")])
    async with app.run_test(size=(80, 24)):
        assert app.console.color_system == "256"
        rendered = app.query_one(PixelImage).render()
        colours = {span.style.color for span in rendered.spans if span.style.bgcolor}  # type: ignore[union-attr]
        assert colours and all(colour.number is not None for colour in colours)  # type: ignore[union-attr]


async def test_set_image_replaces_image_and_caption() -> None:
    app = ImagesApp(lambda: [PixelImage(None, caption="empty")])
    async with app.run_test(size=(80, 24)) as pilot:
        image = app.query_one(PixelImage)
        image.set_image(gradient(8), "dog", "cat", 0.5)
        await pilot.pause()
        assert image.region.size == (max(8, len("✗ dog→cat 50%")), 5)
        assert image.caption == "✗ dog→cat 50%"


def test_snapshot_captioned_images(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(ImagesApp(captioned_pair), terminal_size=(80, 24))


def test_snapshot_double_scale(snap_compare: Callable[..., bool]) -> None:
    def make() -> list[PixelImage]:
        return [
            PixelImage(gradient(), true_label="ship", predicted_label="ship", confidence=0.6,
                       scale=2),
            PixelImage(gradient(), caption="scale 1"),
        ]  # fmt: skip

    assert snap_compare(ImagesApp(make), terminal_size=(120, 40))
