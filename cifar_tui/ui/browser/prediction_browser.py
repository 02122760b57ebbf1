"""PredictionBrowser: a run's test predictions as an image grid, a confusion matrix, and more.

The widget holds two values and renders them: a BrowserState (filters, sort, view, cursor and
paging; browser_state) and a BrowserData (what was read of the run; browser_data), which a worker
reads. Its keys are in browser_keys, the grid's geometry in browser_layout, the grid of cells in
browser_grid, the status line and class list in browser_text, reading and filtering predictions
in cifar_tui.core.analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, ScrollableContainer, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static
from textual.worker import Worker, WorkerState

from cifar_tui.core.analysis.run_data import ImageLoader, RunData, TestImages, read_run_data
from cifar_tui.core.data.cifar10 import CLASS_NAMES, load_test_set
from cifar_tui.core.rundir.artifacts import file_key
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.ui.browser.augmentation_preview import AugmentationPreview
from cifar_tui.ui.browser.browser_data import BrowserData
from cifar_tui.ui.browser.browser_grid import CellContents, PageGrid, fill_page
from cifar_tui.ui.browser.browser_keys import BROWSER_BINDINGS, scroll
from cifar_tui.ui.browser.browser_layout import cell_size, detail_scale, grid_width_beside_detail
from cifar_tui.ui.browser.browser_state import BrowserState
from cifar_tui.ui.browser.browser_text import browser_status, detail_text
from cifar_tui.ui.browser.confusion_view import ConfusionView
from cifar_tui.ui.common.pixel_image import PixelImage

__all__ = ["ImageLoader", "PageGrid", "PredictionBrowser"]
"""ImageLoader and PageGrid are re-exported: tests import them from here."""

VIEW_IDS = {mode: f"browser-{mode}-view" for mode in ("grid", "confusion", "augmentation")}


class PredictionBrowser(Widget, can_focus=True):
    """Browse a run's test predictions: image grid with filters, confusion matrix, augmentation.

    `show_run(run)` loads predictions.npz and the test images in a thread; the file is watched
    (every `poll_interval` seconds), so a run still training refreshes after each epoch.
    """

    BINDINGS = BROWSER_BINDINGS

    @dataclass
    class Loaded(Message):
        """Predictions of a run were (re)loaded and are on screen."""

        run: RunFolder
        count: int
        """Test images predicted (0 when predictions.npz is missing or unreadable)."""
        epoch: int | None

    @dataclass
    class _DataRead(Message):
        """A worker finished reading a run (private: applied on the browser's own thread)."""

        generation: int
        data: RunData

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        image_loader: ImageLoader | None = None,
        class_names: tuple[str, ...] = CLASS_NAMES,
        poll_interval: float = 2.0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Args:
        data_dir: where CIFAR-10 is when the run does not record its data source (default:
            $CIFAR10_DIR, then the Keras cache).
        image_loader: reads the test set from a source path (tests pass a fake).
        class_names: label names, in label order.
        poll_interval: seconds between checks of predictions.npz for a newer version.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._data_dir = data_dir
        self._image_loader = image_loader or load_test_set
        self._class_names = class_names
        self._poll_interval = poll_interval
        self.state = BrowserState()
        """What is shown: filters, sort, view, cursor, paging."""
        self.data = BrowserData()
        """What was read of the run shown."""
        self._cells = CellContents(class_names)

    def compose(self) -> ComposeResult:
        yield Static("no run selected", id="browser-status")
        yield Static("", id="browser-notice")
        with ContentSwitcher(initial="browser-grid-view"):
            with Horizontal(id="browser-grid-view"):
                yield PageGrid(self._layout_grid, id="browser-grid")
                with Vertical(id="browser-detail"):
                    yield PixelImage(None, id="browser-detail-image")
                    yield Static("", id="browser-detail-info")
            with VerticalScroll(id="browser-confusion-view"):
                yield ConfusionView(id="browser-confusion")
            yield AugmentationPreview(id="browser-augmentation-view")

    def on_mount(self) -> None:
        self.set_interval(self._poll_interval, self._check_for_update, name="predictions-poll")
        if self.data.run is not None and not self.data.loading:
            self._start_load(with_images=True)

    def on_resize(self, event: Resize) -> None:
        self._layout_detail()
        self.call_after_refresh(self._fill)  # the class list's bars follow the column's width

    def _layout_detail(self) -> None:
        """Split the width: whole grid columns on the left, the detail column gets the rest.

        The selected image is drawn at 2x when the detail column (or the zoomed view) holds it;
        below 100 columns the detail column is hidden and `z` shows it instead of the grid.
        """
        width, height = self.size
        body_height = self.query_one(ContentSwitcher).size.height or max(1, height - 2)
        zoomed = self.state.zoomed
        scale = detail_scale(width, body_height, zoomed=zoomed)
        if not zoomed:  # zoomed, the grid is hidden; unzooming lays this out again
            grid_width = grid_width_beside_detail(width, scale, cell_size(self.has_images)[0])
            self.set_class(grid_width is None, "-detail-hidden")
            self.query_one(PageGrid).styles.width = "1fr" if grid_width is None else grid_width
        self.query_one("#browser-detail-image", PixelImage).scale = scale

    def _layout_grid(self) -> None:
        """Fit as many cells as the grid holds; rebuild them when that number changes."""
        fit = self.query_one(PageGrid).fit(cell_size(self.has_images))
        if fit is None:
            return
        self.state = self.state.fit(fit.columns, fit.rows)
        for cell in fit.removed:
            self._cells.forget(cell)
        self.call_after_refresh(self._fill)

    @property
    def has_images(self) -> bool:
        """Test images were found and match the predictions (else the grid shows labels only)."""
        return self.data.images is not None

    def _apply(self, state: BrowserState) -> None:
        """Show `state` instead of the current one."""
        old, self.state = self.state, state
        if state.mode != old.mode:
            self.query_one(ContentSwitcher).current = VIEW_IDS[state.mode]
        if state.zoomed != old.zoomed:
            self.set_class(state.zoomed, "-zoomed")
            self._layout_detail()
            # The class list's bars follow its column's width, which the new layout sets only
            # at the next refresh (below 100 columns the column was hidden: 0 wide).
            self.call_after_refresh(self._fill)
        self._fill()

    def _fill(self) -> None:
        """Put the current page into the grid cells and the selection into the detail column."""
        if not self.is_mounted:
            return
        state, data = self.state, self.data
        status = self.query_one("#browser-status", Static)
        width = status.content_size.width or None
        status.update(browser_status(state, data, self._class_names, width))
        notice = self.query_one("#browser-notice", Static)
        note = data.notice()
        notice.update(Text(note, no_wrap=True, overflow="ellipsis"))  # one line, always
        notice.set_class(bool(note), "-shown")
        detail = self.query_one("#browser-detail-image", PixelImage)
        fill_page(self.query_one(PageGrid).cells, detail, self._cells, state, data)
        info = self.query_one("#browser-detail-info", Static)
        selected = state.selected_index
        if data.predictions is None or selected is None:
            info.update("")
        else:
            width = info.content_size.width
            info.update(detail_text(data.predictions, selected, self._class_names, width))

    def show_run(self, run: RunFolder) -> None:
        """Browse `run`: read its predictions and test images in a thread, then show them."""
        self.data = self.data.opened(run)
        self.state = self.state.selecting(None, None)
        if self.is_mounted:
            self.query_one("#browser-status", Static).update(f"{run.name}: loading predictions…")
            self._start_load(with_images=True)

    def reload(self) -> None:
        """Read predictions.npz (and the augmentation preview) of the shown run again."""
        if self.data.run is not None:
            self._start_load(with_images=self.data.images_read is None)

    def _start_load(self, with_images: bool) -> None:
        assert self.data.run is not None
        self.data = self.data.reading()
        images = None if with_images else self.data.images_read
        self._read(self.data.generation, self.data.run, images)

    @work(thread=True, exclusive=True, group="prediction-browser", exit_on_error=False)
    def _read(self, generation: int, run: RunFolder, images: TestImages | None) -> None:
        data = read_run_data(run, self._data_dir, self._image_loader, images)
        self.post_message(self._DataRead(generation, data))  # post_message is thread-safe

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "prediction-browser" and event.state == WorkerState.ERROR:
            # A bug, not a bad file (those come back as notes): say so, and let polling retry.
            self.data = self.data.failed(event.worker.error or RuntimeError("unknown"))
            self._fill()

    def _check_for_update(self) -> None:
        run, loading = self.data.run, self.data.loading
        if run is not None and not loading and file_key(run.predictions_path) != self.data.file_key:
            self.reload()

    def on_prediction_browser__data_read(self, message: _DataRead) -> None:
        message.stop()
        if message.generation != self.data.generation:
            return  # a newer load (or another run) superseded it
        data = message.data
        self.data = self.data.read(data)
        self._cells.forget()
        self.state = self.state.with_predictions(data.predictions)
        self.query_one(ConfusionView).set_predictions(data.predictions, self._class_names)
        preview = self.query_one(AugmentationPreview)
        if data.preview is not None:
            preview.set_images(*data.preview)
        else:
            preview.set_message(data.preview_note or "no augmentation preview")
        self._layout_detail()
        self._layout_grid()
        self._fill()
        predictions = data.predictions
        epoch = None if predictions is None else predictions.epoch
        self.post_message(self.Loaded(data.run, len(predictions or ()), epoch))

    def _scroller(self) -> ScrollableContainer | None:
        """The scrolling view the keys move outside the grid (confusion, augmentation)."""
        if self.state.mode == "confusion":
            return self.query_one("#browser-confusion-view", VerticalScroll)
        if self.state.mode == "augmentation":
            return self.query_one(AugmentationPreview)
        return None

    def _key(self, action: str, moved: BrowserState, *args: int) -> None:
        """Move the selection in the grid, or scroll the confusion matrix or the preview."""
        scroller = self._scroller()
        if scroller is None:
            self._apply(moved)
        else:
            scroll(scroller, action, *args)

    def action_move(self, dx: int, dy: int) -> None:
        self._key("move", self.state.move(dx, dy), dx, dy)

    def action_page(self, pages: int) -> None:
        self._key("page", self.state.page(pages), pages)

    def action_jump(self, position: int) -> None:
        self._key("jump", self.state.jump(position), position)

    def action_toggle_misclassified(self) -> None:
        self._apply(self.state.toggle_misclassified(self.data.predictions))

    def action_cycle_true_class(self, step: int = 1) -> None:
        classes = len(self._class_names)
        self._apply(self.state.cycle_true_class(self.data.predictions, classes, step))

    def action_cycle_predicted_class(self, step: int = 1) -> None:
        classes = len(self._class_names)
        self._apply(self.state.cycle_predicted_class(self.data.predictions, classes, step))

    def action_cycle_sort(self) -> None:
        self._apply(self.state.cycle_sort(self.data.predictions))

    def action_clear_filters(self) -> None:
        self._apply(self.state.clear_filters(self.data.predictions))

    def action_toggle_zoom(self) -> None:
        self._apply(self.state.toggle_zoom())

    def action_toggle_confusion(self) -> None:
        self._apply(self.state.toggle_mode("confusion"))

    def action_toggle_augmentation(self) -> None:
        self._apply(self.state.toggle_mode("augmentation"))

    def action_reload(self) -> None:
        self.reload()
