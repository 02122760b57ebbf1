"""The curves pane as drawn: ticks that fit the size each plot is shown at, labels that tell
the truth, and view switches that reuse what was drawn."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget
from ui_support import FINISHED, settle, wait_for

from cifar_tui.app import CifarApp
from cifar_tui.ui.monitor.curves_pane import SIZES_KEPT, VIEWS, CurvePlot, CurvesPane


def axis_labels(plot: CurvePlot) -> tuple[list[str], list[str]]:
    """The (y, x) tick labels of the plot as drawn at its current size."""
    lines = str(plot.render()).splitlines()
    y = [line.split("┤")[0].strip() for line in lines if "┤" in line]
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    return y, lines[bottom + 1].split()


async def show_view(pilot: object, pane: CurvesPane, view: str) -> None:
    while pane.view != view:
        await pilot.press("v")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


async def test_a_plot_first_shown_in_a_narrow_terminal_gets_ticks_for_its_size(
    app_factory: Callable[..., CifarApp],
) -> None:
    """At 80x24 the "all" view hides the learning rate, so its plot is declared with no size."""
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(CurvesPane)
        learning_rate = pane.query_one("#curve-lr", CurvePlot)
        assert learning_rate.size.width == 0  # hidden in "all" at this width
        await show_view(pilot, pane, "lr")
        await wait_for(pilot, lambda: learning_rate.size.width > 60)
        y, x = axis_labels(learning_rate)
        assert len(x) > 1 and x[0] == "1" and x[-1] == "10"
        assert len(y) >= 2


async def test_ticks_follow_a_resize_and_read_as_their_values(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(CurvesPane)
        accuracy = pane.query_one("#curve-accuracy", CurvePlot)
        wide_y, wide_x = axis_labels(accuracy)
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        narrow_y, narrow_x = axis_labels(accuracy)
        assert len(narrow_y) < len(wide_y)  # a shorter plot has room for fewer labels
        for labels in (wide_y, narrow_y):
            values = [float(label) for label in labels]
            steps = {round(a - b, 9) for a, b in pairwise(values)}
            assert len(steps) == 1  # evenly spaced, top to bottom
            assert len(set(map(len, labels))) == 1  # one precision for all
        assert wide_x[0] == narrow_x[0] == "1" and wide_x[-1] == narrow_x[-1] == "10"


async def test_switching_views_reuses_the_lines_drawn_for_each_size(
    app_factory: Callable[..., CifarApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(CurvesPane)
        for _ in VIEWS:  # once round: each plot is drawn at each of its sizes
            await pilot.press("v")
            await pilot.pause()
        drawn: list[Widget] = []
        to_strips = Visual.to_strips

        def counted(widget: Widget, *args: Any, **kwargs: Any) -> list[Strip]:
            drawn.append(widget)
            return to_strips(widget, *args, **kwargs)

        monkeypatch.setattr(Visual, "to_strips", counted)
        for view in VIEWS[1:] + VIEWS[:1]:
            await pilot.press("v")
            await pilot.pause()
            assert pane.view == view
        # Neither plotext nor Textual's conversion ran again for a plot.
        assert not [widget for widget in drawn if isinstance(widget, CurvePlot)]
        assert drawn  # (other widgets did repaint)


async def test_a_plot_keeps_the_lines_of_its_latest_sizes_only(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        loss = app.screen.query_one("#curve-loss", CurvePlot)
        for width in range(112, 128):  # a terminal's edge dragged
            await pilot.resize_terminal(width, 40)
            await pilot.pause()
        assert len({key[0] for key in loss._lines}) <= SIZES_KEPT
        assert len(loss._renders) <= SIZES_KEPT
        assert loss.size in {key[0] for key in loss._lines}
