"""The snapshot-mismatch explainer reads rows of text out of Textual's SVG screenshots."""

from __future__ import annotations

import pytest
from svg_text import svg_rows, svg_rows_diff


def _svg(*rows: tuple[float, str, str]) -> str:
    texts = "".join(
        f'<text class="{cls}" x="0" y="{y}" textLength="10" clip-path="url(#c)">{text}</text>'
        for y, cls, text in rows
    )
    return f"<svg><g>{texts}</g></svg>"


@pytest.mark.parametrize(
    ("svg", "rows"),
    [
        (_svg(), []),
        (_svg((20, "a", "one")), ["one"]),
        (_svg((44.4, "a", "b"), (20, "a", "a&#160;"), (44.4, "b", "&lt;c&gt;")), ["a", "b<c>"]),
        (_svg((20, "a", "<tspan>x</tspan>y")), ["xy"]),
    ],
    ids=["empty", "one row", "rows sorted, spans joined, entities", "nested tags"],
)
def test_rows(svg: str, rows: list[str]) -> None:
    assert svg_rows(svg) == rows


def test_diff_names_the_changed_row() -> None:
    expected = _svg((20, "a", "same"), (44, "a", "old"))
    actual = _svg((20, "a", "same"), (44, "a", "new"))
    assert svg_rows_diff(expected, actual).splitlines()[-2:] == ["-old", "+new"]


def test_diff_of_style_only_change() -> None:
    assert "styles differ" in svg_rows_diff(_svg((20, "a", "x")), _svg((20, "b", "x")))


def test_rows_of_a_real_snapshot() -> None:
    from pathlib import Path

    svg = (
        Path(__file__).parent / "__snapshots__/test_app_snapshots"
        / "TestMonitorScreen.test_finished[120x40].svg"
    ).read_text()  # fmt: skip
    rows = svg_rows(svg)
    assert len(rows) == 40 + 1  # and the window's title, "cifar-tui"
    assert rows[0].startswith(" 1 Runs  2 Monitor") and "cifar-tui" in rows
