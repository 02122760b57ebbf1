"""PredictionBrowser: a run's test predictions as an image grid, a confusion matrix, and more.

The widget composes the views, lays them out and fills them. Its parts: reading the run in a
worker in browser_loading, the keys and their actions in browser_keys, reading and filtering
predictions in
cifar_tui.core.analysis.predictions, the grid's geometry in browser_layout, the grid of
cells in browser_grid, the status line and class list in browser_text.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from cifar_tui.core.analysis.predictions import PredictionView, select
from cifar_tui.core.analysis.run_data import ImageLoader, TestImages
from cifar_tui.core.data.cifar10 import CLASS_NAMES, load_test_set
from cifar_tui.core.rundir.artifacts import Predictions
from cifar_tui.core.rundir.runs import RunFolder
from cifar_tui.ui.browser.augmentation_preview import AugmentationPreview
from cifar_tui.ui.browser.browser_grid import PageGrid
from cifar_tui.ui.browser.browser_keys import BROWSER_BINDINGS, BrowserKeys
from cifar_tui.ui.browser.browser_layout import cell_size, detail_scale, grid_width_beside_detail
from cifar_tui.ui.browser.browser_loading import BrowserLoading
from cifar_tui.ui.browser.browser_text import detail_text, status_text
from cifar_tui.ui.browser.confusion_view import ConfusionView
from cifar_tui.ui.common.pixel_image import PixelImage

__all__ = ["ImageLoader", "PageGrid", "PredictionBrowser"]
"""ImageLoader and PageGrid are re-exported: tests import them from here."""


class PredictionBrowser(BrowserLoading, BrowserKeys, Widget, can_focus=True):
    """Browse a run's test predictions: image grid with filters, confusion matrix, augmentation.

    `show_run(run)` loads predictions.npz and the test images in a thread; the file is watched
    (every `poll_interval` seconds), so a run still training refreshes after each epoch.
    """

    DEFAULT_CSS = """
    PredictionBrowser {
        height: 1fr;
        width: 1fr;
    }
    PredictionBrowser > #browser-status {
        height: auto;
        color: $foreground;
        background: $boost;
        padding: 0 1;
    }
    PredictionBrowser > #browser-notice {
        height: auto;
        color: $warning;
        padding: 0 1;
        display: none;
    }
    PredictionBrowser > #browser-notice.-shown {
        display: block;
    }
    PredictionBrowser > ContentSwitcher {
        height: 1fr;
    }
    PredictionBrowser #browser-grid-view {
        height: 1fr;
    }
    PredictionBrowser #browser-grid {
        width: 1fr;
        height: 1fr;
        grid-gutter: 0 1;
        padding: 0 0 0 1;
    }
    PredictionBrowser #browser-detail {
        width: 1fr;
        height: 1fr;
        padding: 0 1;
        border-left: vkey $foreground 20%;
    }
    PredictionBrowser.-detail-hidden #browser-detail {
        display: none;
    }
    PredictionBrowser.-zoomed #browser-grid {
        display: none;
    }
    PredictionBrowser.-zoomed #browser-detail {
        display: block;
        layout: horizontal;
        border-left: none;
    }
    PredictionBrowser #browser-detail-info {
        height: auto;
        margin-top: 1;
    }
    PredictionBrowser.-zoomed #browser-detail-info {
        width: 1fr;
        margin: 0 0 0 2;
    }
    PredictionBrowser #browser-confusion-view {
        height: 1fr;
    }
    """

    BINDINGS = BROWSER_BINDINGS

    view: reactive[PredictionView] = reactive(PredictionView, init=False)
    """Filters and sort order of the grid."""
    mode: reactive[str] = reactive("grid", init=False)
    """Which view fills the pane: "grid", "confusion" or "augmentation"."""
    zoomed: reactive[bool] = reactive(False, init=False)
    """The selected image fills the grid view (at 2x when it fits)."""

    class Loaded(Message):
        """Predictions of a run were (re)loaded and are on screen."""

        def __init__(self, run: RunFolder, count: int, epoch: int | None) -> None:
            super().__init__()
            self.run = run
            self.count = count
            """Test images predicted (0 when predictions.npz is missing or unreadable)."""
            self.epoch = epoch

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
        data_dir: where CIFAR-10 is when the run does not record its data source (default: the
            app's `data_dir` attribute, then $CIFAR10_DIR and the Keras cache).
        image_loader: reads the test set from a source path (tests pass a fake).
        class_names: label names, in label order.
        poll_interval: seconds between checks of predictions.npz for a newer version.
        """
        super().__init__(name=name, id=id, classes=classes)
        self._data_dir = data_dir
        self._image_loader = image_loader or load_test_set
        self._class_names = class_names
        self._poll_interval = poll_interval
        self._run: RunFolder | None = None
        self._generation = 0
        self._loading = False
        self._loaded_once = False
        self._file_key: tuple[int, int, int] | None = None
        self._predictions: Predictions | None = None
        self._predictions_note: str | None = None
        self._images: np.ndarray | None = None
        self._images_read: TestImages | None = None
        self._images_note: str | None = None
        self._indices = np.zeros(0, np.int64)
        self._cursor = 0
        self._columns = 1
        self._rows = 1
        self._shown_in: dict[PixelImage, int] = {}
        """Which test image each cell shows; cleared whenever predictions or images change."""

    # --- composing and laying out -------------------------------------------------------------

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
        if self._run is not None and not self._loading:
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
        switcher = self.query_one(ContentSwitcher)
        body_height = switcher.size.height or max(1, height - 2)
        scale = detail_scale(width, body_height, zoomed=self.zoomed)
        if not self.zoomed:  # zoomed, the grid is hidden; unzooming lays this out again
            cell_width = cell_size(self.has_images)[0]
            grid_width = grid_width_beside_detail(width, scale, cell_width)
            self.set_class(grid_width is None, "-detail-hidden")
            self.query_one(PageGrid).styles.width = "1fr" if grid_width is None else grid_width
        self.query_one("#browser-detail-image", PixelImage).scale = scale

    def _layout_grid(self) -> None:
        """Fit as many cells as the grid holds; rebuild them when that number changes."""
        fit = self.query_one(PageGrid).fit(cell_size(self.has_images))
        if fit is None:
            return
        self._columns, self._rows = fit.columns, fit.rows
        for cell in fit.removed:
            self._shown_in.pop(cell, None)
        self.call_after_refresh(self._fill)

    @property
    def page_size(self) -> int:
        """Images on one page of the grid (columns x rows that fit)."""
        return self._columns * self._rows

    # --- what is shown ------------------------------------------------------------------------

    @property
    def run(self) -> RunFolder | None:
        """The run being browsed."""
        return self._run

    @property
    def loaded_once(self) -> bool:
        """The shown run was read at least once (with or without predictions found)."""
        return self._loaded_once

    @property
    def predictions(self) -> Predictions | None:
        """The loaded predictions (None before loading, or when the file is missing)."""
        return self._predictions

    @property
    def has_images(self) -> bool:
        """Test images were found and match the predictions (else the grid shows labels only)."""
        return self._images is not None

    @property
    def shown_indices(self) -> list[int]:
        """Test-set indices that pass the filters, in display order."""
        return self._indices.tolist()

    @property
    def shown_count(self) -> int:
        """How many images pass the filters."""
        return len(self._indices)

    @property
    def cursor(self) -> int:
        """Position of the selection within `shown_indices`."""
        return self._cursor

    @property
    def selected_index(self) -> int | None:
        """Test-set index of the selected image (None when nothing is shown)."""
        if not len(self._indices):
            return None
        return int(self._indices[min(self._cursor, len(self._indices) - 1)])

    def _select(self) -> np.ndarray:
        if self._predictions is None:
            return np.zeros(0, np.int64)
        return select(self._predictions, self.view)

    def _restore_cursor(self, selected: int | None) -> None:
        """Keep the same image selected if it is still shown, else go to the first one."""
        positions = np.flatnonzero(self._indices == selected) if selected is not None else []
        self._cursor = int(positions[0]) if len(positions) else 0

    def watch_view(self, old: PredictionView, new: PredictionView) -> None:
        selected = self.selected_index
        self._indices = self._select()
        # A new filter keeps the selected image if it still shows; a new order starts at its top.
        self._restore_cursor(selected if old.sort == new.sort else None)
        self._fill()

    def watch_mode(self, mode: str) -> None:
        switcher = self.query_one(ContentSwitcher)
        switcher.current = {
            "grid": "browser-grid-view",
            "confusion": "browser-confusion-view",
            "augmentation": "browser-augmentation-view",
        }[mode]
        self._fill()

    def watch_zoomed(self, zoomed: bool) -> None:
        self.set_class(zoomed, "-zoomed")
        self._layout_detail()
        self._fill()
        # The class list's bars follow its column's width, which the new layout sets only at the
        # next refresh (below 100 columns the column was hidden: 0 wide, the bars at their 6).
        self.call_after_refresh(self._fill)

    def _notice_text(self) -> str:
        note = self._predictions_note or self._images_note or ""
        if self._run is not None:
            # The run's own files by name: their full path wrapped the note to 4 lines at 80.
            note = note.replace(f"{self._run.path}{os.sep}", "")
        return note

    def _status_text(self) -> Text:
        return status_text(
            None if self._run is None else self._run.name,
            self._predictions,
            loading=self._loading,
            mode=self.mode,
            view=self.view,
            shown_count=self.shown_count,
            cursor=self._cursor,
            class_names=self._class_names,
            width=self.query_one("#browser-status", Static).content_size.width or None,
        )

    def _fill(self) -> None:
        """Put the current page into the grid cells and the selection into the detail column."""
        if not self.is_mounted:
            return
        self.query_one("#browser-status", Static).update(self._status_text())
        notice = self.query_one("#browser-notice", Static)
        note = self._notice_text()
        notice.update(Text(note, no_wrap=True, overflow="ellipsis"))  # one line, always
        notice.set_class(bool(note), "-shown")
        cells = self.query_one(PageGrid).cells
        predictions = self._predictions
        page_size = max(1, self.page_size)
        start = self._cursor - self._cursor % page_size
        for offset, cell in enumerate(cells):
            position = start + offset
            if predictions is None or position >= len(self._indices):
                cell.display = False
                self._shown_in.pop(cell, None)
                continue
            cell.display = True
            self._show(cell, int(self._indices[position]))
            cell.selected = position == self._cursor
        detail = self.query_one("#browser-detail-image", PixelImage)
        info = self.query_one("#browser-detail-info", Static)
        selected = self.selected_index
        if predictions is None or selected is None:
            self._shown_in.pop(detail, None)
            detail.set_image(None, caption="nothing to show" if predictions else "")
            info.update("")
            return
        self._show(detail, selected)
        info.update(detail_text(predictions, selected, self._class_names, info.content_size.width))

    def _show(self, cell: PixelImage, index: int) -> None:
        """Put test image `index` into `cell`, unless it is there already (saves a redraw)."""
        if self._shown_in.get(cell) == index:
            return
        self._shown_in[cell] = index
        assert self._predictions is not None
        true = self._class_names[int(self._predictions.labels[index])]
        predicted = self._class_names[int(self._predictions.predicted[index])]
        confidence = float(self._predictions.confidence[index])
        image = None if self._images is None else self._images[index]
        cell.set_image(image, true, predicted, confidence)
