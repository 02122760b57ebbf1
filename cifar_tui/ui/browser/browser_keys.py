"""The prediction browser's keys: its bindings and the actions they run."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from textual.binding import Binding
from textual.containers import ScrollableContainer, VerticalScroll

from cifar_tui.core.analysis.predictions import PredictionView, cycle_class, next_sort
from cifar_tui.ui.browser.augmentation_preview import AugmentationPreview

if TYPE_CHECKING:
    from textual.widget import Widget as _Base
else:
    _Base = object

MOVE_HELP = "Move the selection (scroll the matrix or the preview)"
TRUE_HELP = "True class filter: next class (T: previous)"
PREDICTED_HELP = "Predicted class filter: next class (P: previous)"

# Footer labels are short: with the app's ? and q, the nine keys take 72 columns of KeyFooter's
# compact style (81 roomy). The tooltips (on hover, and in the help, `?`) say what each key
# does. Arrows and hjkl go in one order (left, down, up, right): the help's "← ↓ ↑ → h j k l".
BROWSER_BINDINGS = [
    Binding("left", "move(-1, 0)", "Move", show=False, tooltip=MOVE_HELP),
    Binding("down", "move(0, 1)", "Move", show=False, tooltip=MOVE_HELP),
    Binding("up", "move(0, -1)", "Move", show=False, tooltip=MOVE_HELP),
    Binding("right", "move(1, 0)", "Move", show=False, tooltip=MOVE_HELP),
    Binding("h", "move(-1, 0)", "Move", show=False, tooltip=MOVE_HELP),
    Binding("j", "move(0, 1)", "Move", show=False, tooltip=MOVE_HELP),
    Binding("k", "move(0, -1)", "Move", show=False, tooltip=MOVE_HELP),
    Binding("l", "move(1, 0)", "Move", show=False, tooltip=MOVE_HELP),
    Binding("pageup", "page(-1)", "Page up", show=False, tooltip="Previous / next page"),
    Binding("pagedown", "page(1)", "Page down", show=False, tooltip="Previous / next page"),
    Binding("home", "jump(0)", "First", show=False, tooltip="First / last image"),
    Binding("end", "jump(-1)", "Last", show=False, tooltip="First / last image"),
    Binding("m", "toggle_misclassified", "Wrong", tooltip="Wrong only: misclassified, or all"),
    Binding("t", "cycle_true_class(1)", "True", tooltip=TRUE_HELP),
    Binding("T", "cycle_true_class(-1)", "True back", show=False, tooltip=TRUE_HELP),
    Binding("p", "cycle_predicted_class(1)", "Pred", tooltip=PREDICTED_HELP),
    Binding("P", "cycle_predicted_class(-1)", "Pred back", show=False, tooltip=PREDICTED_HELP),
    Binding("s", "cycle_sort", "Sort", tooltip="Sort: test-set order, most / least confident"),
    Binding("x", "clear_filters", "Clear", show=False, tooltip="Clear filters and sort"),
    Binding("z,enter", "toggle_zoom", "Zoom", tooltip="Zoom: the selected image alone, larger"),
    Binding("c", "toggle_confusion", "Confusion", tooltip="Confusion matrix, or the grid"),
    Binding("a", "toggle_augmentation", "Augment", tooltip="Augmentation preview, or the grid"),
    Binding("r", "reload", "Reload", show=False, tooltip="Reload predictions.npz now"),
]


class BrowserKeys(_Base):
    """The actions of PredictionBrowser's keys (a mixin: the state is the browser's)."""

    mode: str
    view: PredictionView
    zoomed: bool
    _indices: np.ndarray
    _cursor: int
    _columns: int
    _class_names: tuple[str, ...]

    if TYPE_CHECKING:  # the browser's own, used here (it subclasses this mixin)

        @property
        def page_size(self) -> int: ...

        def _fill(self) -> None: ...

        def reload(self) -> None: ...

    def _scroller(self) -> ScrollableContainer | None:
        """The scrolling view the keys move outside the grid (confusion, augmentation)."""
        if self.mode == "confusion":
            return self.query_one("#browser-confusion-view", VerticalScroll)
        if self.mode == "augmentation":
            return self.query_one(AugmentationPreview)
        return None

    def _go(self, cursor: int) -> None:
        if not len(self._indices):
            return
        self._cursor = min(max(cursor, 0), len(self._indices) - 1)
        self._fill()

    def action_move(self, dx: int, dy: int) -> None:
        """Move the selection by columns (dx) and rows (dy) of the grid (else scroll)."""
        scroller = self._scroller()
        if scroller is not None:
            scroller.scroll_relative(x=4 * dx, y=4 * dy, animate=False)
            return
        self._go(self._cursor + dx + dy * self._columns)

    def action_page(self, pages: int) -> None:
        """Move the selection a page forward or back (else scroll a page)."""
        scroller = self._scroller()
        if scroller is not None:
            if pages > 0:
                scroller.scroll_page_down(animate=False)
            else:
                scroller.scroll_page_up(animate=False)
            return
        self._go(self._cursor + pages * self.page_size)

    def action_jump(self, position: int) -> None:
        """Select the first (0) or the last (-1) image shown (else scroll to the top/end)."""
        scroller = self._scroller()
        if scroller is not None:
            if position >= 0:
                scroller.scroll_home(animate=False)
            else:
                scroller.scroll_end(animate=False)
            return
        self._go(position if position >= 0 else len(self._indices) + position)

    def action_toggle_misclassified(self) -> None:
        """Show only images the model got wrong, or all again."""
        self.view = replace(self.view, misclassified_only=not self.view.misclassified_only)

    def action_cycle_true_class(self, step: int = 1) -> None:
        """Filter by true class: all -> airplane -> ... -> truck -> all (step -1: backwards)."""
        true_class = cycle_class(self.view.true_class, len(self._class_names), step)
        self.view = replace(self.view, true_class=true_class)

    def action_cycle_predicted_class(self, step: int = 1) -> None:
        """Filter by predicted class: all -> airplane -> ... -> truck -> all (step -1: back)."""
        predicted = cycle_class(self.view.predicted_class, len(self._class_names), step)
        self.view = replace(self.view, predicted_class=predicted)

    def action_cycle_sort(self) -> None:
        """Sort: test-set order -> most confident first -> least confident first."""
        self.view = replace(self.view, sort=next_sort(self.view.sort))

    def action_clear_filters(self) -> None:
        """Show every image in test-set order."""
        self.view = PredictionView()

    def action_toggle_zoom(self) -> None:
        """Show the selected image alone, at 2x when it fits."""
        self.zoomed = not self.zoomed

    def action_toggle_confusion(self) -> None:
        """Switch between the image grid and the confusion matrix."""
        self.mode = "grid" if self.mode == "confusion" else "confusion"

    def action_toggle_augmentation(self) -> None:
        """Switch between the image grid and the augmentation preview."""
        self.mode = "grid" if self.mode == "augmentation" else "augmentation"

    def action_reload(self) -> None:
        """Read predictions.npz again now."""
        self.reload()
