"""What the prediction browser writes: its status line and the selected image's class list.

Pure functions of the predictions and the browser's state, returning Rich text (no Textual).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.text import Text

from cifar_tui.core.predictions import Predictions, PredictionView, describe_view

TOP_CLASSES = 5
"""Classes listed, most probable first, under the selected image."""


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
    """
    if run_name is None:
        return Text("no run selected")
    text = Text(run_name, style="bold")
    if predictions is None:
        text.append(" · " + ("loading…" if loading else "no predictions yet"))
        return text
    if predictions.epoch is not None:
        text.append(f" · epoch {predictions.epoch}")
    text.append(f" · test accuracy {100 * predictions.accuracy:.1f}%")
    if mode == "grid":
        text.append(f" · {shown_count} of {len(predictions)} shown")
        text.append(f" ({describe_view(view, class_names)})")
        if shown_count:
            text.append(f" · {cursor + 1}/{shown_count}")
    elif mode == "confusion":
        text.append(f" · confusion matrix of {len(predictions)} test images")
    else:
        text.append(" · augmentation preview")
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
