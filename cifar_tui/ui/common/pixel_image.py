"""PixelImage: a small uint8 image in half blocks over a caption coloured by correctness."""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.events import Resize
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from cifar_tui.core.analysis.captions import caption as prediction_caption
from cifar_tui.ui.common.pixels import half_block_text

SELECTED_MARK = "▶ "
"""Prefix of a selected image's caption, so the selection reads without colour too."""


class PixelImage(Widget):
    """A uint8 HxWx3 image as '▀' cells (32x32 -> 32 columns x 16 lines) over one caption line.

    The colour path follows the terminal: truecolor or 256 colours reduce the pixels to what the
    terminal shows; NO_COLOR (or no colour at all) draws a shade ramp instead. A prediction caption
    reads "✓ cat 97%" or "✗ cat→dog 81%", green or red, so it reads without colour as well.
    """

    DEFAULT_CSS = """
    PixelImage {
        width: auto;
        height: auto;
    }
    PixelImage > .pixel-image--correct {
        color: $success;
    }
    PixelImage > .pixel-image--wrong {
        color: $error;
    }
    PixelImage > .pixel-image--caption {
        color: $foreground-muted;
    }
    PixelImage > .pixel-image--selected {
        text-style: reverse bold;
    }
    """

    COMPONENT_CLASSES = {
        "pixel-image--correct",
        "pixel-image--wrong",
        "pixel-image--caption",
        "pixel-image--selected",
    }

    selected: reactive[bool] = reactive(False)
    """Mark the caption (reverse video and "▶ ") as the grid's current image."""

    def __init__(
        self,
        image: np.ndarray | None = None,
        *,
        true_label: str | None = None,
        predicted_label: str | None = None,
        confidence: float | None = None,
        caption: str | None = None,
        scale: int | None = 1,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Args:
        image: uint8 HxWx3 (or HxW); None draws the caption alone (a label-only grid).
        true_label, predicted_label, confidence: make a prediction caption, green when the
            labels agree and red when they differ.
        caption: plain caption text instead (e.g. "#3 augmented"); ignored with labels given.
        scale: 1 or 2 (nearest-neighbour upscale); None picks 2 when the space it is given
            holds the 2x image and its caption, else 1.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._scale = scale
        self._image: np.ndarray | None = None
        self._caption = ""
        self._correct: bool | None = None
        self._cache: tuple[tuple[int, str | None], Text] | None = None
        self._strips: tuple[tuple[int, str | None], list[Strip]] | None = None
        self.set_image(image, true_label, predicted_label, confidence, caption)

    def set_image(
        self,
        image: np.ndarray | None,
        true_label: str | None = None,
        predicted_label: str | None = None,
        confidence: float | None = None,
        caption: str | None = None,
    ) -> None:
        """Show another image and caption (same arguments as the constructor)."""
        self._image = image
        self._cache = self._strips = None
        if true_label is not None and predicted_label is not None:
            self._caption = prediction_caption(true_label, predicted_label, confidence or 0.0)
            self._correct = true_label == predicted_label
        else:
            self._caption = caption or ""
            self._correct = None
        self.refresh(layout=True)

    @property
    def image(self) -> np.ndarray | None:
        """The image shown (None: caption only)."""
        return self._image

    @property
    def caption(self) -> str:
        """The caption text as shown (without the selection mark)."""
        return self._caption

    @property
    def correct(self) -> bool | None:
        """True/False for a prediction caption, None for a plain one."""
        return self._correct

    @property
    def scale(self) -> int | None:
        """The scale asked for (None: 2 when there is room)."""
        return self._scale

    @scale.setter
    def scale(self, scale: int | None) -> None:
        if scale != self._scale:
            self._scale = scale
            self._cache = self._strips = None
            self.refresh(layout=True)

    def _image_size(self) -> tuple[int, int]:
        """(columns, lines) of the image at scale 1; (0, 0) without one."""
        if self._image is None:
            return 0, 0
        height, width = self._image.shape[:2]
        return width, (height + 1) // 2

    def scale_for(self, width: int, height: int) -> int:
        """The scale used in a `width` x `height` space (lines include the caption)."""
        if self._scale is not None:
            return self._scale
        columns, lines = self._image_size()
        fits_double = columns and 2 * columns <= width and 2 * lines + 1 <= height
        return 2 if fits_double else 1

    @property
    def shown_scale(self) -> int:
        """The scale of the last layout (what is on screen)."""
        return self.scale_for(self.size.width, self.size.height)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        columns, _ = self._image_size()
        scale = self.scale_for(container.width, container.height)
        caption = len(self._caption) + (len(SELECTED_MARK) if self.selected else 0)
        return max(columns * scale, caption, 1)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        _, lines = self._image_size()
        scale = self.scale_for(container.width, container.height)
        return lines * scale + 1

    def on_resize(self, event: Resize) -> None:
        # An image set before the first layout marked a zero-size region dirty: paint it all now.
        self.refresh()

    def watch_selected(self) -> None:
        # Only the caption changes; its width matters only where it is all there is.
        self.refresh(layout=self._image is None)

    def _color_system(self) -> str | None:
        # Textual keeps NO_COLOR out of its console and filters colours itself, so ask the app.
        if self.app.no_color:
            return None
        return self.app.console.color_system

    def _pixels(self, scale: int) -> Text:
        assert self._image is not None
        system = self._color_system()
        key = (scale, system)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, half_block_text(self._image, scale=scale, color_system=system))
        return self._cache[1]

    def _caption_style(self) -> Style:
        if self._correct is True:
            style = self.get_component_rich_style("pixel-image--correct", partial=True)
        elif self._correct is False:
            style = self.get_component_rich_style("pixel-image--wrong", partial=True)
        else:
            style = self.get_component_rich_style("pixel-image--caption", partial=True)
        if self.selected:
            style += self.get_component_rich_style("pixel-image--selected", partial=True)
        return style

    def _caption_text(self) -> Text:
        mark = SELECTED_MARK if self.selected else ""
        text = Text(no_wrap=True, end="")
        text.append(mark + self._caption, self._caption_style())
        return text

    def render(self) -> Text:
        """The whole widget as one Text: image lines, then the caption (what tests compare)."""
        text = Text(no_wrap=True, overflow="crop", end="")
        if self._image is not None:
            text.append_text(self._pixels(self.shown_scale))
            text.append("\n")
        text.append_text(self._caption_text())
        return text

    def _image_strips(self) -> list[Strip]:
        """The image as Strips, built once per image, scale and colour system.

        Drawing line by line from these skips Textual's per-span conversion of a 512-span Text
        on every refresh, so moving the selection redraws only a caption.
        """
        if self._image is None:
            return []
        scale = self.shown_scale
        key = (scale, self._color_system())
        if self._strips is None or self._strips[0] != key:
            console = self.app.console
            lines = console.render_lines(
                self._pixels(scale), console.options.update(no_wrap=True), pad=False
            )
            self._strips = (key, [Strip(line) for line in lines])
        return self._strips[1]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        strips = self._image_strips()
        if y < len(strips):
            # The base style fills what shade-ramp cells leave unset (NO_COLOR's filter needs it).
            return strips[y].apply_style(self.rich_style).crop_extend(0, width, self.rich_style)
        if y == len(strips):
            caption = Strip(self._caption_text().render(self.app.console))
            return caption.apply_style(self.rich_style).crop_extend(0, width, self.rich_style)
        return Strip.blank(width, self.rich_style)
