"""Half-block ('▀') and shade-ramp rendering of uint8 images as rich Text (pure functions)."""

from __future__ import annotations

import numpy as np
from rich.color import Color, ColorSystem
from rich.console import COLOR_SYSTEMS
from rich.style import Style
from rich.text import Text

RGB = tuple[int, int, int]

HALF_BLOCK = "▀"
ASCII_RAMP = " .:-=+*#%@"
"""Dark to light; plain ASCII so it survives any terminal, font and NO_COLOR."""
BLOCK_RAMP = " ░▒▓█"
"""Dark to light with Unicode shade blocks: denser, but needs a font that has them."""

# ITU-R BT.601 luma weights: what "brightness" means for a shade ramp.
_LUMA = np.array([0.299, 0.587, 0.114])


def _as_rgb(image: np.ndarray) -> np.ndarray:
    """Validate a uint8 HxWx3 or HxW image and return it as HxWx3."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"image must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8 (0-255), got dtype {image.dtype}")
    if image.ndim == 2:
        image = np.repeat(image[:, :, np.newaxis], 3, axis=2)
    elif image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must be HxWx3 (RGB) or HxW (grayscale), got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image is empty, shape {image.shape}")
    return image


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscale: each pixel becomes a factor x factor block.

    Args:
        image: uint8 HxWx3 or HxW.
        factor: whole-number scale, 1 or more.

    Returns:
        A uint8 array of shape (H*factor, W*factor[, 3]).
    """
    _as_rgb(image)
    if isinstance(factor, bool) or not isinstance(factor, int | np.integer) or factor < 1:
        raise ValueError(f"scale factor must be a whole number >= 1, got {factor!r}")
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def half_block_rows(image: np.ndarray) -> list[list[tuple[RGB, RGB]]]:
    """Pair pixel rows for '▀' cells (fg = top, bg = bottom); uint8 HxWx3 in, odd height padded.

    Args:
        image: uint8 HxWx3 (RGB) or HxW (grayscale).

    Returns:
        ceil(H/2) rows of W (top, bottom) colour pairs; an odd last row pairs with black.
    """
    rgb = _as_rgb(image)
    if rgb.shape[0] % 2:
        rgb = np.concatenate([rgb, np.zeros((1, *rgb.shape[1:]), np.uint8)])
    # tolist() turns numpy scalars into plain ints in one C pass (fast, and hashable as tuples).
    tops = rgb[0::2].tolist()
    bottoms = rgb[1::2].tolist()
    return [
        [(tuple(top), tuple(bottom)) for top, bottom in zip(top_row, bottom_row, strict=True)]
        for top_row, bottom_row in zip(tops, bottoms, strict=True)
    ]  # type: ignore[misc]


def _color_system(name: str) -> ColorSystem:
    try:
        return COLOR_SYSTEMS[name]
    except KeyError:
        known = ", ".join(sorted(COLOR_SYSTEMS))
        raise ValueError(
            f"unknown color system {name!r}; expected one of {known} or None"
        ) from None


def half_block_text(
    image: np.ndarray, scale: int = 1, color_system: str | None = "truecolor"
) -> Text:
    """Render an image as '▀' cells, one line per pair of pixel rows.

    Args:
        image: uint8 HxWx3 (RGB) or HxW (grayscale).
        scale: nearest-neighbour upscale first (2: a 32x32 image becomes 64 columns x 32 lines).
        color_system: the target console's colour system, as `Console.color_system` names it
            ("truecolor", "256", "standard", "windows"). Colours are reduced to it here, so
            neighbouring cells that end up the same colour merge into one run: fewer escape
            codes over SSH. None (NO_COLOR, dumb terminal) falls back to `shade_text`.

    Returns:
        A Text that neither wraps nor ends in a newline; a narrow pane crops it.
    """
    if color_system is None:
        return shade_text(image, scale=scale)
    system = _color_system(color_system)
    rows = half_block_rows(upscale(image, scale))
    styles: dict[tuple[RGB, RGB], Style] = {}
    colors: dict[RGB, Color] = {}

    def color(rgb: RGB) -> Color:
        found = colors.get(rgb)
        if found is None:
            found = Color.from_rgb(*rgb).downgrade(system)
            if found.number is not None:
                # A downgraded Color keeps its truecolor name, and Colors compare by name: rename
                # it by palette number so every RGB that lands on one palette entry is equal.
                found = Color(f"color({found.number})", found.type, number=found.number)
            colors[rgb] = found
        return found

    def style(pair: tuple[RGB, RGB]) -> Style:
        found = styles.get(pair)
        if found is None:
            found = styles[pair] = Style(color=color(pair[0]), bgcolor=color(pair[1]))
        return found

    text = Text(no_wrap=True, overflow="crop", end="")
    for line_number, row in enumerate(rows):
        if line_number:
            text.append("\n")
        run_style = style(row[0])
        run_length = 0
        for pair in row:
            cell_style = style(pair)
            # Style equality compares the reduced colours, so two truecolor pairs that map to
            # one 256-colour pair extend the same run.
            if cell_style == run_style:
                run_length += 1
                continue
            text.append(HALF_BLOCK * run_length, run_style)
            run_style, run_length = cell_style, 1
        text.append(HALF_BLOCK * run_length, run_style)
    return text


def shade_text(image: np.ndarray, scale: int = 1, ramp: str = ASCII_RAMP) -> Text:
    """Render an image without colour: one ramp character per cell, brighter means denser.

    Each cell covers one pixel column and two pixel rows (their mean brightness), so the
    result has the same shape as `half_block_text` and terminal cells (about 1:2) keep the
    image's aspect ratio. Assumes a dark background: black is a space.

    Args:
        image: uint8 HxWx3 (RGB) or HxW (grayscale).
        scale: nearest-neighbour upscale first, as in `half_block_text`.
        ramp: characters from dark to light, at least two.

    Returns:
        An unstyled Text that neither wraps nor ends in a newline.
    """
    if len(ramp) < 2:
        raise ValueError(f"shade ramp needs at least two characters, got {ramp!r}")
    rgb = _as_rgb(upscale(image, scale)).astype(np.float64)
    luma = rgb @ _LUMA  # H x W, 0..255
    if luma.shape[0] % 2:
        # Repeat the last row rather than pad with black, so it keeps its own brightness.
        luma = np.concatenate([luma, luma[-1:]])
    cells = (luma[0::2] + luma[1::2]) / 2
    levels = np.minimum((cells / 256 * len(ramp)).astype(np.intp), len(ramp) - 1)
    lines = ["".join(ramp[level] for level in row) for row in levels.tolist()]
    return Text("\n".join(lines), no_wrap=True, overflow="crop", end="")
