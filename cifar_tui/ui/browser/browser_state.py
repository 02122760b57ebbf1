"""What the prediction browser shows, as one value: filters and sort, view, cursor and paging.

No Textual here: every key is a transition from one BrowserState to the next
(tests/ui/test_browser_state.py tables them), and PredictionBrowser renders the state it holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from cifar_tui.core.analysis.predictions import (
    VERSUS,
    PredictionView,
    comparable,
    cycle_class,
    next_sort,
    select,
)
from cifar_tui.core.rundir.artifacts import Predictions

MODES = ("grid", "confusion", "augmentation")
"""What fills the pane: the image grid, the confusion matrix or the augmentation preview."""


def _nothing() -> np.ndarray:
    return np.zeros(0, np.int64)


@dataclass(frozen=True)
class BrowserState:
    """The browser's filters, view and selection; each transition returns a new state."""

    view: PredictionView = PredictionView()
    """Filters and sort order of the grid."""
    mode: str = "grid"
    zoomed: bool = False
    """The selected image fills the grid view (at 2x when it fits)."""
    indices: np.ndarray = field(default_factory=_nothing, compare=False)
    """Test-set indices that pass the filters, in display order."""
    cursor: int = 0
    """Position of the selection within `indices`."""
    columns: int = 1
    rows: int = 1
    """The grid's cells that fit: a page is columns x rows."""
    other: Predictions | None = field(default=None, compare=False)
    """Another run's predictions, for the versus filter (opened from the comparison)."""

    # --- what it shows -----------------------------------------------------------------------

    @property
    def shown_count(self) -> int:
        return len(self.indices)

    @property
    def selected_index(self) -> int | None:
        """Test-set index of the selected image (None when nothing is shown)."""
        if not len(self.indices):
            return None
        return int(self.indices[min(self.cursor, len(self.indices) - 1)])

    @property
    def page_size(self) -> int:
        return self.columns * self.rows

    @property
    def page_start(self) -> int:
        """Position of the first image of the cursor's page."""
        page_size = max(1, self.page_size)
        return self.cursor - self.cursor % page_size

    # --- new predictions or filters ----------------------------------------------------------

    def selecting(self, predictions: Predictions | None, keep: int | None) -> BrowserState:
        """Indices of `predictions` under this view, the cursor on test image `keep` if shown
        (else on the first)."""
        if predictions is None:
            indices = _nothing()
        else:
            indices = select(predictions, self.view, self.other)
        positions = np.flatnonzero(indices == keep) if keep is not None else _nothing()
        return replace(self, indices=indices, cursor=int(positions[0]) if len(positions) else 0)

    def with_predictions(self, predictions: Predictions | None) -> BrowserState:
        """The same filters over new predictions, the same image selected if still shown."""
        return self.selecting(predictions, self.selected_index)

    def with_view(self, view: PredictionView, predictions: Predictions | None) -> BrowserState:
        """A new filter keeps the selected image if it still shows; a new order starts at the
        top."""
        keep = self.selected_index if view.sort == self.view.sort else None
        return replace(self, view=view).selecting(predictions, keep)

    def filtered(self, predictions: Predictions | None, **changes: object) -> BrowserState:
        """`with_view` for a view with `changes` (misclassified_only, true_class, ...)."""
        return self.with_view(replace(self.view, **changes), predictions)  # type: ignore[arg-type]

    def toggle_misclassified(self, predictions: Predictions | None) -> BrowserState:
        return self.filtered(predictions, misclassified_only=not self.view.misclassified_only)

    def cycle_true_class(
        self, predictions: Predictions | None, classes: int, step: int
    ) -> BrowserState:
        """all -> airplane -> ... -> truck -> all (step -1: backwards)."""
        return self.filtered(
            predictions, true_class=cycle_class(self.view.true_class, classes, step)
        )

    def cycle_predicted_class(
        self, predictions: Predictions | None, classes: int, step: int
    ) -> BrowserState:
        predicted = cycle_class(self.view.predicted_class, classes, step)
        return self.filtered(predictions, predicted_class=predicted)

    def cycle_sort(self, predictions: Predictions | None) -> BrowserState:
        """Test-set order -> most confident first -> least confident first."""
        return self.filtered(predictions, sort=next_sort(self.view.sort))

    def versus(self, other: Predictions | None, predictions: Predictions | None) -> BrowserState:
        """Another run's predictions to filter against (None: no versus filter)."""
        state = replace(self, other=other)
        return state.filtered(predictions, versus=None) if other is None else state

    def cycle_versus(self, predictions: Predictions | None) -> BrowserState:
        """off -> right here, wrong in the other -> wrong here, right there -> off.

        No change without the other run's predictions or when `comparable` says they are of
        another test set (the browser says why).
        """
        other = self.other
        if predictions is None or other is None or comparable(predictions, other) is not None:
            return self
        versus = VERSUS[(VERSUS.index(self.view.versus) + 1) % len(VERSUS)]
        return self.filtered(predictions, versus=versus)

    def clear_filters(self, predictions: Predictions | None) -> BrowserState:
        """Every image in test-set order."""
        return self.with_view(PredictionView(), predictions)

    # --- the selection, the page, the view -----------------------------------------------------

    def go(self, cursor: int) -> BrowserState:
        """Select position `cursor`, kept within what is shown (nothing shown: no change)."""
        if not len(self.indices):
            return self
        return replace(self, cursor=min(max(cursor, 0), len(self.indices) - 1))

    def move(self, dx: int, dy: int) -> BrowserState:
        """Move by columns (dx) and rows (dy) of the grid."""
        return self.go(self.cursor + dx + dy * self.columns)

    def page(self, pages: int) -> BrowserState:
        return self.go(self.cursor + pages * self.page_size)

    def jump(self, position: int) -> BrowserState:
        """The first (0) or the last (-1) image shown."""
        return self.go(position if position >= 0 else len(self.indices) + position)

    def fit(self, columns: int, rows: int) -> BrowserState:
        return replace(self, columns=columns, rows=rows)

    def toggle_zoom(self) -> BrowserState:
        return replace(self, zoomed=not self.zoomed)

    def toggle_mode(self, mode: str) -> BrowserState:
        """Show `mode` instead of the grid, or the grid again if `mode` is shown."""
        return replace(self, mode="grid" if self.mode == mode else mode)
