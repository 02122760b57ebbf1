"""The text of a Textual SVG screenshot, row by row, to say in a test log how two differ."""

from __future__ import annotations

import difflib
import html
import re

_TEXT = re.compile(r'<text\b[^>]*\by="([-\d.]+)"[^>]*>(.*?)</text>', re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


def svg_rows(svg: str) -> list[str]:
    """The screen's rows of text, top to bottom (a row is every <text> at one y)."""
    rows: dict[float, list[str]] = {}
    for y, content in _TEXT.findall(svg):
        rows.setdefault(float(y), []).append(html.unescape(_TAG.sub("", content)))
    return ["".join(parts).replace("\xa0", " ").rstrip() for _, parts in sorted(rows.items())]


def svg_rows_diff(expected: str, actual: str) -> str:
    """A unified diff of the two screens' rows, or a line saying only the styles differ."""
    diff = list(
        difflib.unified_diff(
            svg_rows(expected), svg_rows(actual), "expected", "actual", lineterm="", n=1
        )
    )
    return "\n".join(diff) if diff else "the text is the same: colours or styles differ"
