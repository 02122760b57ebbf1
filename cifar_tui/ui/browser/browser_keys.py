"""The prediction browser's keys: its bindings, and what they do where they scroll.

What they do in the grid is a BrowserState transition (browser_state.py).
"""

from __future__ import annotations

from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer

MOVE_HELP = "Move the selection (scroll the matrix or the preview)"
TRUE_HELP = "True class filter: next class (T: previous)"
PREDICTED_HELP = "Predicted class filter: next class (P: previous)"

# Footer labels are short: with the app's ? and q, the nine keys take 72 columns of KeyFooter's
# compact style (81 roomy). The tooltips (on hover, and in the help, `?`) say what each key
# does. Arrows and hjkl go in one order (left, down, up, right): the help's "← ↓ ↑ → h j k l".
BROWSER_BINDINGS: list[BindingType] = [
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


def scroll(scroller: ScrollableContainer, action: str, *args: int) -> None:
    """Do what a move, page or jump key does where the keys scroll (confusion, augmentation)."""
    if action == "move":
        dx, dy = args
        scroller.scroll_relative(x=4 * dx, y=4 * dy, animate=False)
    elif action == "page":
        (scroller.scroll_page_down if args[0] > 0 else scroller.scroll_page_up)(animate=False)
    else:
        (scroller.scroll_home if args[0] >= 0 else scroller.scroll_end)(animate=False)
