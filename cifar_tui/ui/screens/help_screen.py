"""The help dialog: every key of the screen it was opened from, and the global ones."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

GLOBAL_KEYS = [
    ("1 / F2", "runs list"),
    ("2 / F3", "training monitor of the open run"),
    ("3 / F4", "prediction browser of the open run"),
    ("4 / F5", "configure and start a new run"),
    ("? / F1", "this help"),
    ("q / ctrl+q", "quit (asks first while a run is training)"),
    ("escape", "leave a text field, so the keys above work"),
    ("tab / shift+tab", "move between fields and panes"),
]

ABOUT = (
    "Training runs in its own process (`cifar-tui train`) and keeps going when this app quits "
    "or SSH drops; reopen cifar-tui to watch it again. Everything a run has is in its folder: "
    "config.toml, events.jsonl, trainer.log, checkpoint/, model.keras, predictions.npz."
)


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; any of escape, q, ? or F1 closes it."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def __init__(self, screen_keys: list[tuple[str, str]], title: str) -> None:
        super().__init__()
        self.screen_keys = screen_keys
        self.title_text = title

    @classmethod
    def for_app(cls, app: App[object]) -> HelpScreen:
        """Help for the keys the app's current screen and focused widget offer right now."""
        keys = [
            (binding.key_display or app.get_key_display(binding), binding.description)
            for binding in (active.binding for active in app.active_bindings.values())
            if binding.show and binding.action not in ("help", "quit")
        ]
        return cls(keys, f"{app.current_mode.capitalize()} keys")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(self._keys_table(), id="help-keys")
            yield Static(Text(ABOUT, style="dim"), id="help-about")

    def _keys_table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        table.add_row(Text(self.title_text, style="bold underline"), "")
        for key, description in self.screen_keys:
            table.add_row(key, description)
        table.add_row("", "")
        table.add_row(Text("Everywhere", style="bold underline"), "")
        for key, description in GLOBAL_KEYS:
            table.add_row(key, description)
        return table

    def on_click(self) -> None:
        self.dismiss()
