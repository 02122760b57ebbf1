"""What the prediction browser writes: its status line and the selected image's class list.

Pure functions of the predictions and the browser's state, returning Rich text (no Textual).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.cells import cell_len
from rich.text import Text

from cifar_tui.core.analysis.captions import describe_view
from cifar_tui.core.analysis.predictions import PredictionView
from cifar_tui.core.rundir.artifacts import Predictions
from cifar_tui.ui.browser.browser_data import BrowserData
from cifar_tui.ui.browser.browser_state import BrowserState

TOP_CLASSES = 5
"""Classes listed, most probable first, under the selected image."""


def browser_status(
    state: BrowserState, data: BrowserData, class_names: Sequence[str], width: int | None
) -> Text:
    """`status_text` of what the browser holds."""
    return status_text(
        None if data.run is None else data.run.name,
        data.predictions,
        loading=data.loading,
        mode=state.mode,
        view=state.view,
        shown_count=state.shown_count,
        cursor=state.cursor,
        class_names=class_names,
        width=width,
    )


def status_text(
    run_name: str | None,
    predictions: Predictions | None,
    *,
    loading: bool,
    mode: str,
    view: PredictionView,
    shown_count: int,
    cursor: int,
    class_names: Sequence[str],
    width: int | None = None,
) -> Text:
    """The browser's status line, e.g. "run · epoch 3 · test accuracy 70.0% · 30 of 100 shown …".

    Args:
        run_name: the run browsed (None: none yet).
        predictions: its predictions (None: loading, or none written yet).
        loading: a read of the run is under way.
        mode: the view that fills the pane: "grid", "confusion" or "augmentation".
        view: the grid's filters and sort.
        shown_count: images that pass the filters.
        cursor: position of the selection among them.
        class_names: label names, in label order.
        width: columns the line has (None: no limit). A line that would not fit is said shorter:
            "run · epoch 3 · accuracy 70.0% · 2/30 (misclassified)", then without the run's name
            (the app's top line shows it), then only the position and the view, cut to `width`.
    """
    if run_name is None:
        return Text("no run selected")
    if predictions is None:
        return Text(f"{run_name} · " + ("loading…" if loading else "no predictions yet"), "bold")
    epoch = [] if predictions.epoch is None else [f"epoch {predictions.epoch}"]
    accuracy = f"{100 * predictions.accuracy:.1f}%"
    if mode == "grid":
        described = describe_view(view, class_names)
        position = f"{cursor + 1}/{shown_count}" if shown_count else "0 shown"
        long = f"{shown_count} of {len(predictions)} shown ({described})"
        if shown_count:
            long += f" · {position}"
        short = f"{position} ({described})"
    elif mode == "confusion":
        long, short = f"confusion matrix of {len(predictions)} test images", "confusion matrix"
    else:
        long = short = "augmentation preview"
    forms = [
        [run_name, *epoch, f"test accuracy {accuracy}", long],
        [run_name, *epoch, f"accuracy {accuracy}", short],
        [*epoch, f"accuracy {accuracy}", short],
        [short],
    ]
    lines = [" · ".join(form) for form in forms]
    line = next((line for line in lines if width is None or cell_len(line) <= width), lines[-1])
    text = Text(line, style="bold", no_wrap=True, overflow="ellipsis")
    if width is not None:
        text.truncate(width, overflow="ellipsis")
    return text


def detail_text(
    predictions: Predictions, index: int, class_names: Sequence[str], width: int
) -> Text:
    """The class list beside or under the selected image: the most probable classes as bars.

    Args:
        predictions: the run's predictions.
        index: the selected test image.
        class_names: label names, in label order.
        width: columns of the column the text goes in (the bars grow with it, 6 to 24 wide).

    Returns:
        "test image #index", then the TOP_CLASSES most probable classes and the true class if it is
        not among them (in bold), each "*name ████░░ 97%" with `*` marking the true class.
    """
    probabilities = predictions.probabilities[index]
    label = int(predictions.labels[index])
    text = Text()
    text.append(f"test image #{index}\n", style="bold")
    # The bars take what the column has left after "*automobile " and " 100%".
    bar_width = max(6, min(24, width - 17))
    ranked = [int(klass) for klass in np.argsort(-probabilities, kind="stable")]
    shown = ranked[:TOP_CLASSES]
    if label not in shown:
        shown.append(label)  # how sure it was of the right answer matters most when wrong
    for line, klass in enumerate(shown):
        if line:
            text.append("\n")
        rank = ranked.index(klass)
        share = float(probabilities[klass])
        filled = round(share * bar_width)
        mark = "*" if klass == label else " "
        name = f"{mark}{class_names[klass][:10]:<10} "
        text.append(name, style="bold" if rank >= TOP_CLASSES else "")
        text.append("█" * filled + "░" * (bar_width - filled), style="dim" if rank else "")
        text.append(f" {100 * share:3.0f}%")
    text.append("\n* true class", style="dim")
    return text
