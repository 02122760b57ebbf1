"""Run A's predictions browsed against run B's: `v` shows what A got right and B wrong, and back.

Opened from the comparison (`b`); escape goes back to it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from cifar_tui.core.analysis.compare_data import read_predictions
from cifar_tui.core.analysis.predictions import comparable
from cifar_tui.core.rundir.artifacts import Predictions
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.ui.browser.prediction_browser import PredictionBrowser
from cifar_tui.ui.common.key_footer import KeyFooter

VERSUS_TEXT = {
    None: "all images",
    "right-wrong": "right in A, wrong in B",
    "wrong-right": "wrong in A, right in B",
}


class VersusBrowser(PredictionBrowser):
    """The prediction browser of run A, with run B's predictions for the versus filter."""

    BINDINGS = [
        Binding(
            "v", "cycle_versus", "A vs B", tooltip="Right in A and wrong in B, the reverse, all"
        )
    ]

    @dataclass
    class _OtherRead(Message):
        predictions: Predictions | None
        note: str | None

    def __init__(self, other: RunFolder, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.other = other
        self.other_note: str | None = "reading B's predictions…"

    def compose(self) -> ComposeResult:
        yield Static(id="versus-line")
        yield from super().compose()

    def on_mount(self) -> None:
        super().on_mount()
        self._read_other()

    @work(thread=True, exclusive=True, group="versus", exit_on_error=False)
    def _read_other(self) -> None:
        self.post_message(self._OtherRead(*read_predictions(self.other)))

    def on_versus_browser__other_read(self, message: _OtherRead) -> None:
        message.stop()
        self.other_note = message.note
        self._apply(self.state.versus(message.predictions, self.data.predictions))

    def action_cycle_versus(self) -> None:
        state, predictions = self.state, self.data.predictions
        if predictions is None or state.other is None:
            self.notify("Both runs need predictions.npz for this filter.", severity="warning")
            return
        reason = comparable(predictions, state.other)
        if reason is not None:
            self.notify(f"A and B: {reason}.", severity="warning")
            return
        self._apply(state.cycle_versus(predictions))

    def _fill(self) -> None:
        super()._fill()
        if not self.is_mounted or self.data.run is None:
            return
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("A ", style="bold")
        line.append(self.data.run.name)
        line.append("  B ", style="bold")
        line.append(self.other.name)
        other, predictions = self.state.other, self.data.predictions
        note = self.other_note
        if note is None and other is not None and predictions is not None:
            note = comparable(predictions, other)
        if note is not None:
            line.append(f"  {note}", style="yellow")
        else:
            shown = VERSUS_TEXT[self.state.view.versus]
            line.append(f"  v: {shown}", style="bold" if self.state.view.versus else "")
        self.query_one("#versus-line", Static).update(line)


class VersusScreen(Screen[None]):
    """Browse run `run` (A) against run `other` (B)."""

    HELP_TITLE = "A against B keys"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, run: RunFolder, other: RunFolder, data_dir: str | None) -> None:
        super().__init__()
        self._run, self._other, self._data_dir = run, other, data_dir

    def compose(self) -> ComposeResult:
        yield VersusBrowser(self._other, data_dir=self._data_dir, id="versus-browser")
        yield KeyFooter()

    def on_mount(self) -> None:
        browser = self.query_one(VersusBrowser)
        browser.show_run(self._run)
        browser.focus()
