"""The prediction browser of the app's current run."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.ui.browser.prediction_browser import PredictionBrowser
from cifar_tui.ui.common.key_footer import KeyFooter
from cifar_tui.ui.common.mode_bar import ModeBar


class BrowseScreen(Screen[None]):
    """Shows the predictions of whichever run the app has open (its `current_run`)."""

    def __init__(self, data_dir: str | None) -> None:
        """Args:
        data_dir: where CIFAR-10 is for a run that does not record its data source.
        """
        super().__init__()
        self._data_dir = data_dir
        self.shown: RunFolder | None = None
        self._run: RunFolder | None = None
        """The app's current run."""

    def compose(self) -> ComposeResult:
        yield ModeBar("browse")
        yield Static(
            "No run selected: pick one in the runs list (1) and press b.", id="browse-empty"
        )
        yield PredictionBrowser(data_dir=self._data_dir, id="browser")
        yield KeyFooter()

    def on_mount(self) -> None:
        # At mount the watcher is called once with old == new: it only takes the value.
        self.watch(self.app, "current_run", self._run_changed)

    def _run_changed(self, old: RunFolder | None, run: RunFolder | None) -> None:
        self._run = run
        if old != run and self.is_current:
            self.on_screen_resume()

    def on_screen_resume(self) -> None:
        run = self._run
        self.query_one("#browse-empty").display = run is None
        browser = self.query_one(PredictionBrowser)
        browser.display = run is not None
        if run is not None and run != self.shown:
            self.shown = run
            browser.show_run(run)
        browser.focus()
