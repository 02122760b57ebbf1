"""Prediction text for narrow terminals: short class names, image captions, the view in words.

Plain strings (no Rich): the browser and the pixel-image widget style them.
"""

from __future__ import annotations

from collections.abc import Sequence

from cifar_tui.core.analysis.predictions import PredictionView

SHORT_CLASS_NAMES: dict[str, str] = {"airplane": "plane", "automobile": "auto"}
"""Narrow table headers: CIFAR-10's two long names; every other name is short already."""


def short_class_name(name: str) -> str:
    """A class name for narrow columns (at most 5 characters)."""
    return SHORT_CLASS_NAMES.get(name, name)[:5]


def caption(true_name: str, predicted_name: str, confidence: float) -> str:
    """One image's caption, readable without colour: "✓ cat 97%" or "✗ cat→dog 81%"."""
    percent = f"{100 * confidence:.0f}%"
    if true_name == predicted_name:
        return f"✓ {true_name} {percent}"
    return f"✗ {true_name}→{predicted_name} {percent}"


def describe_view(view: PredictionView, class_names: Sequence[str]) -> str:
    """The filters and sort in a few words, e.g. "misclassified · true cat · confidence ↓"."""
    parts = []
    if view.misclassified_only:
        parts.append("misclassified")
    if view.true_class is not None:
        parts.append(f"true {class_names[view.true_class]}")
    if view.predicted_class is not None:
        parts.append(f"predicted {class_names[view.predicted_class]}")
    if view.sort != "original":
        parts.append("confidence " + ("↓" if view.sort == "descending" else "↑"))
    if view.versus is not None:  # a run browsed against another (A against B)
        parts.append(
            "right in A, wrong in B" if view.versus == "right-wrong" else "wrong in A, right in B"
        )
    return " · ".join(parts) if parts else "all"
