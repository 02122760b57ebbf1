"""The prediction browser's status line and the selected image's class list, as plain functions."""

from __future__ import annotations

import numpy as np
import pytest
from rich.text import Text

from cifar_tui.core.analysis.predictions import PredictionView
from cifar_tui.core.data.cifar10 import CLASS_NAMES
from cifar_tui.core.rundir.artifacts import Predictions
from cifar_tui.ui.browser.browser_text import TOP_CLASSES, detail_text, status_text

PROBABILITIES = np.array(
    [
        [0.70, 0.10, 0.05, 0.05, 0.04, 0.03, 0.02, 0.01, 0.00, 0.00],  # airplane, right
        [0.00, 0.50, 0.20, 0.10, 0.10, 0.05, 0.03, 0.02, 0.00, 0.00],  # truck taken for auto
        [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 1.00, 0.00],  # ship, sure
        [0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10],  # a tie: airplane first
    ],
    dtype=np.float32,
)
PREDICTIONS = Predictions(PROBABILITIES, np.array([0, 9, 8, 3]), epoch=3)


def bold_parts(text: Text) -> list[str]:
    return [text.plain[span.start : span.end] for span in text.spans if span.style == "bold"]


def test_detail_of_a_right_answer_lists_the_top_classes() -> None:
    text = detail_text(PREDICTIONS, 0, CLASS_NAMES, width=41)
    lines = text.plain.split("\n")
    assert lines[0] == "test image #0"
    assert lines[-1] == "* true class"
    classes = lines[1:-1]
    assert len(classes) == TOP_CLASSES
    assert classes[0] == "*airplane   " + "█" * 17 + "░" * 7 + "  70%"
    assert [line[1:11].strip() for line in classes] == list(CLASS_NAMES[:TOP_CLASSES])
    assert bold_parts(text) == ["test image #0\n"]


def test_detail_of_a_wrong_answer_adds_the_true_class_in_bold() -> None:
    text = detail_text(PREDICTIONS, 1, CLASS_NAMES, width=41)
    classes = text.plain.split("\n")[1:-1]
    assert len(classes) == TOP_CLASSES + 1
    assert classes[0].startswith(" automobile ")
    assert classes[-1] == "*truck      " + "░" * 24 + "   0%"
    assert bold_parts(text) == ["test image #1\n", "*truck      "]


def test_detail_lists_tied_classes_in_label_order() -> None:
    classes = detail_text(PREDICTIONS, 3, CLASS_NAMES, width=41).plain.split("\n")[1:-1]
    assert [line[1:11].strip() for line in classes] == list(CLASS_NAMES[:TOP_CLASSES])
    assert classes[3].startswith("*cat ")


@pytest.mark.parametrize(
    ("width", "bar"),
    [
        pytest.param(10, 6, id="narrow-keeps-6"),
        pytest.param(23, 6, id="exactly-6"),
        pytest.param(30, 13, id="fills-the-column"),
        pytest.param(41, 24, id="exactly-24"),
        pytest.param(100, 24, id="wide-stops-at-24"),
    ],
)
def test_detail_bars_follow_the_column_width(width: int, bar: int) -> None:
    classes = detail_text(PREDICTIONS, 2, CLASS_NAMES, width).plain.split("\n")[1:-1]
    assert classes[0] == "*ship       " + "█" * bar + " 100%"
    assert all(len(line) == 17 + bar for line in classes)  # "*automobile " + bar + " 100%"


RUN = "2026-11-25_1915_recipe-2018"


@pytest.mark.parametrize(
    ("run", "predictions", "options", "expected"),
    [
        pytest.param(None, None, {}, "no run selected", id="no-run"),
        pytest.param(RUN, None, {"loading": True}, f"{RUN} · loading…", id="loading"),
        pytest.param(RUN, None, {}, f"{RUN} · no predictions yet", id="no-predictions"),
        pytest.param(
            RUN,
            PREDICTIONS,
            {"shown_count": 4, "cursor": 1},
            f"{RUN} · epoch 3 · test accuracy 50.0% · 4 of 4 shown (all) · 2/4",
            id="grid",
        ),
        pytest.param(
            RUN,
            PREDICTIONS,
            {"view": PredictionView(misclassified_only=True, sort="ascending"), "shown_count": 0},
            f"{RUN} · epoch 3 · test accuracy 50.0% · 0 of 4 shown (misclassified · confidence ↑)",
            id="grid-nothing-shown",
        ),
        pytest.param(
            RUN,
            Predictions(PROBABILITIES, PREDICTIONS.labels, epoch=None),
            {"shown_count": 4},
            f"{RUN} · test accuracy 50.0% · 4 of 4 shown (all) · 1/4",
            id="no-epoch",
        ),
        pytest.param(
            RUN,
            PREDICTIONS,
            {"mode": "confusion"},
            f"{RUN} · epoch 3 · test accuracy 50.0% · confusion matrix of 4 test images",
            id="confusion",
        ),
        pytest.param(
            RUN,
            PREDICTIONS,
            {"mode": "augmentation"},
            f"{RUN} · epoch 3 · test accuracy 50.0% · augmentation preview",
            id="augmentation",
        ),
    ],
)
def test_status_text(
    run: str | None, predictions: Predictions | None, options: dict, expected: str
) -> None:
    defaults = {"loading": False, "mode": "grid", "view": PredictionView(), "shown_count": 0}
    state = {**defaults, "cursor": 0, **options}
    text = status_text(run, predictions, class_names=CLASS_NAMES, **state)
    assert text.plain == expected
    assert text.style == ("" if run is None else "bold")


NARROW_VIEW = PredictionView(misclassified_only=True, true_class=3, sort="descending")
FULL_LINE = f"{RUN} · epoch 3 · test accuracy 50.0% · 4 of 4 shown (all) · 2/4"  # 86 columns


@pytest.mark.parametrize(
    ("width", "options", "expected"),
    [
        pytest.param(None, {}, FULL_LINE, id="no-limit"),
        pytest.param(86, {}, FULL_LINE, id="exactly-fits"),
        pytest.param(85, {}, f"{RUN} · epoch 3 · accuracy 50.0% · 2/4 (all)", id="short"),
        pytest.param(
            78,
            {"view": NARROW_VIEW},
            "epoch 3 · accuracy 50.0% · 2/4 (misclassified · true cat · confidence ↓)",
            id="without-the-run",
        ),
        pytest.param(
            71,
            {"view": NARROW_VIEW},
            "2/4 (misclassified · true cat · confidence ↓)",
            id="position-and-view",
        ),
        pytest.param(20, {"view": NARROW_VIEW}, "2/4 (misclassified …", id="cut"),
        pytest.param(
            40, {"shown_count": 0}, "epoch 3 · accuracy 50.0% · 0 shown (all)", id="nothing-shown"
        ),
        pytest.param(
            73,
            {"mode": "confusion"},
            f"{RUN} · epoch 3 · accuracy 50.0% · confusion matrix",
            id="confusion",
        ),
    ],
)
def test_status_text_shortens_to_fit(width: int | None, options: dict, expected: str) -> None:
    """A narrow line keeps the position, the filters and the sort; the test accuracy's words,
    the run's name (the app's top line shows it), epoch and accuracy go first."""
    state = {"loading": False, "mode": "grid", "view": PredictionView(), "shown_count": 4}
    state = {**state, "cursor": 1, **options}
    text = status_text(RUN, PREDICTIONS, class_names=CLASS_NAMES, width=width, **state)
    assert text.plain == expected
    assert width is None or len(text.plain) <= width
