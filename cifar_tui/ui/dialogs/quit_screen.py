"""Asked on quit while runs are training: leave them running, stop them, or stay."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class QuitScreen(ModalScreen[str]):
    """Dismisses with "leave", "stop" or "cancel"."""

    BINDINGS = [
        Binding("l", "choose('leave')", "Leave running"),
        Binding("s", "choose('stop')", "Stop"),
        Binding("escape,c", "choose('cancel')", "Cancel"),
    ]

    def __init__(self, running: list[str], queued: list[str] | None = None) -> None:
        super().__init__()
        self.running = running
        self.queued = queued or []

    def compose(self) -> ComposeResult:
        names = ", ".join(self.running)
        many = len(self.running) > 1
        question = (
            f"{'Runs' if many else 'Run'} {names} {'are' if many else 'is'} still "
            "training.\nLeft running, training goes on without this app; reopen cifar-tui "
            "to watch it. Stopped, it checkpoints and can be resumed (r)."
        )
        if self.queued:  # the queue runner starts them with or without the app
            they = ("They start", "them") if len(self.queued) > 1 else ("It starts", "it")
            question += (
                f"\nQueued: {', '.join(self.queued)}. {they[0]} as slots free, even after you "
                f"quit, and stopping frees slots for {they[1]} (drop one: cifar-tui queue rm NAME)."
            )
        with Vertical(id="quit-box"):
            yield Static(question, id="quit-question")
            with Horizontal(id="quit-buttons"):
                yield Button("Leave running (l)", id="leave", variant="primary")
                yield Button("Stop and quit (s)", id="stop", variant="warning")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#leave", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
