"""The prediction browser's state: each key's transition, in tables (no Textual, no app)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from cifar_tui.core.analysis.predictions import PredictionView
from cifar_tui.core.rundir.artifacts import Predictions
from cifar_tui.ui.browser.browser_state import BrowserState

# Six test images over three classes: true labels, predicted classes and their confidences.
LABELS = [0, 1, 2, 0, 1, 2]
PREDICTED = [0, 2, 2, 1, 1, 0]  # images 1, 3 and 5 are wrong
CONFIDENCE = [0.9, 0.5, 0.7, 0.6, 0.95, 0.4]


def predictions() -> Predictions:
    probabilities = np.zeros((len(LABELS), 3))
    for row, (predicted, confidence) in enumerate(zip(PREDICTED, CONFIDENCE, strict=True)):
        probabilities[row] = (1 - confidence) / 2
        probabilities[row, predicted] = confidence
    return Predictions(probabilities, np.array(LABELS), epoch=3)


PREDICTIONS = predictions()


def state(cursor: int = 0, columns: int = 2, rows: int = 2, **view: object) -> BrowserState:
    """All six images (or the view's), `columns` x `rows` a page, the cursor at `cursor`."""
    shown = PredictionView(**view)  # type: ignore[arg-type]
    start = BrowserState(view=shown, columns=columns, rows=rows)
    return replace(start.selecting(PREDICTIONS, None), cursor=cursor)


Step = Callable[[BrowserState], BrowserState]
P = PREDICTIONS
KEYS: dict[str, Step] = {
    "right": lambda s: s.move(1, 0),
    "left": lambda s: s.move(-1, 0),
    "down": lambda s: s.move(0, 1),
    "pagedown": lambda s: s.page(1),
    "pageup": lambda s: s.page(-1),
    "end": lambda s: s.jump(-1),
    "home": lambda s: s.jump(0),
    "m": lambda s: s.toggle_misclassified(P),
    "t": lambda s: s.cycle_true_class(P, 3, 1),
    "T": lambda s: s.cycle_true_class(P, 3, -1),
    "p": lambda s: s.cycle_predicted_class(P, 3, 1),
    "s": lambda s: s.cycle_sort(P),
    "x": lambda s: s.clear_filters(P),
    "reloaded": lambda s: s.with_predictions(P),
    "no file": lambda s: s.with_predictions(None),
    "c": lambda s: s.toggle_mode("confusion"),
    "a": lambda s: s.toggle_mode("augmentation"),
    "z": lambda s: s.toggle_zoom(),
}
"""Each transition by the key that runs it (or the event)."""
ALL = [0, 1, 2, 3, 4, 5]
WRONG = {"misclassified_only": True}

SELECTION_CASES: list[tuple[str, BrowserState, str, list[int], int]] = [
    # name, before, key, indices shown after, cursor after
    ("right", state(0), "right", ALL, 1),
    ("down a row", state(1), "down", ALL, 3),
    ("left at the start stays", state(0), "left", ALL, 0),
    ("down past the end stops", state(4), "down", ALL, 5),
    ("page down", state(1), "pagedown", ALL, 5),
    ("page up", state(5), "pageup", ALL, 1),
    ("end", state(2), "end", ALL, 5),
    ("home", state(4), "home", ALL, 0),
    ("wrong only keeps a wrong selection", state(3), "m", [1, 3, 5], 1),
    ("wrong only drops a right one", state(2), "m", [1, 3, 5], 0),
    ("wrong only, again: all", state(1, **WRONG), "m", ALL, 3),
    ("true class: the first", state(0), "t", [0, 3], 0),
    ("true class: back from all is the last", state(0), "T", [2, 5], 0),
    ("true class: last, then all", state(0, true_class=2), "t", ALL, 2),
    ("predicted class", state(0), "p", [0, 5], 0),
    ("sort: most confident first, from the top", state(2), "s", [4, 0, 2, 3, 1, 5], 0),
    ("sort: least confident first", state(0, sort="descending"), "s", [5, 1, 3, 2, 0, 4], 0),
    ("clear keeps the selected image", state(1, **WRONG), "x", ALL, 3),
    ("new predictions: same image", state(3), "reloaded", ALL, 3),
    ("no predictions: nothing", state(3), "no file", [], 0),
    ("a move with nothing shown", state(0).with_predictions(None), "right", [], 0),
]


@pytest.mark.parametrize(
    ("before", "key", "indices", "cursor"),
    [case[1:] for case in SELECTION_CASES],
    ids=[case[0] for case in SELECTION_CASES],
)
def test_a_key_moves_the_selection_or_the_filters(
    before: BrowserState, key: str, indices: list[int], cursor: int
) -> None:
    after = KEYS[key](before)
    assert after.indices.tolist() == indices
    assert after.cursor == cursor
    assert after.selected_index == (indices[cursor] if indices else None)


VIEW_CASES: list[tuple[str, BrowserState, str, str, bool]] = [
    # name, before, key, mode after, zoomed after
    ("confusion", state(), "c", "confusion", False),
    ("confusion, again: the grid", replace(state(), mode="confusion"), "c", "grid", False),
    ("augmentation from confusion", replace(state(), mode="confusion"), "a", "augmentation", False),
    ("zoom", state(), "z", "grid", True),
    ("unzoom", replace(state(), zoomed=True), "z", "grid", False),
]


@pytest.mark.parametrize(
    ("before", "key", "mode", "zoomed"),
    [case[1:] for case in VIEW_CASES],
    ids=[case[0] for case in VIEW_CASES],
)
def test_a_key_switches_the_view(before: BrowserState, key: str, mode: str, zoomed: bool) -> None:
    after = KEYS[key](before)
    assert (after.mode, after.zoomed) == (mode, zoomed)
    assert after.indices is before.indices and after.cursor == before.cursor


PAGE_CASES = [
    # columns, rows, cursor, page start, page size
    (2, 2, 0, 0, 4),
    (2, 2, 3, 0, 4),
    (2, 2, 5, 4, 4),
    (3, 1, 5, 3, 3),
    (1, 1, 4, 4, 1),
]


@pytest.mark.parametrize(("columns", "rows", "cursor", "start", "size"), PAGE_CASES)
def test_the_page_is_the_one_that_holds_the_cursor(
    columns: int, rows: int, cursor: int, start: int, size: int
) -> None:
    fitted = state(cursor).fit(columns, rows)
    assert (fitted.page_start, fitted.page_size) == (start, size)
    assert fitted.cursor == cursor  # a new fit never moves the selection


def test_a_state_is_a_value() -> None:
    before = state(2)
    before.move(1, 0)
    before.toggle_zoom()
    assert before.cursor == 2 and not before.zoomed  # transitions return new states
