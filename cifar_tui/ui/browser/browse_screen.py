"""The prediction browser of the app's current run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from cifar_tui.core.rundir.runs import RunFolder
from cifar_tui.ui.browser.prediction_browser import PredictionBrowser
from cifar_tui.ui.common.key_footer import KeyFooter
from cifar_tui.ui.common.mode_bar import ModeBar

if TYPE_CHECKING:
    from cifar_tui.app import CifarApp


class BrowseScreen(Screen[None]):
    """Shows the predictions of whichever run the app has open."""

    app: CifarApp  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.shown: RunFolder | None = None

    def compose(self) -> ComposeResult:
        yield ModeBar("browse")
        yield Static(
            "No run selected: pick one in the runs list (1) and press b.", id="browse-empty"
        )
        yield PredictionBrowser(id="browser")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.watch(self.app, "current_run", self._run_changed, init=False)

    def _run_changed(self, run: RunFolder | None) -> None:
        if self.is_current:
            self.on_screen_resume()

    def on_screen_resume(self) -> None:
        run = self.app.current_run
        self.query_one("#browse-empty").display = run is None
        browser = self.query_one(PredictionBrowser)
        browser.display = run is not None
        if run is not None and run != self.shown:
            self.shown = run
            browser.show_run(run)
        browser.focus()
