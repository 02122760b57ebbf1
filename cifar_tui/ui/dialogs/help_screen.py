"""The help dialog: every key of the screen it was opened from, and the global ones."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

GLOBAL_KEYS = [
    ("1 / F2", "runs list"),
    ("2 / F3", "training monitor of the open run"),
    ("3 / F4", "prediction browser of the open run"),
    ("4 / F5", "configure and start a new run"),
    ("? / F1", "this help"),
    ("ctrl+p", "save a screenshot (SVG) in the run folder"),
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
    def for_app(cls, app: App[Any]) -> HelpScreen:
        """Help for the keys the app's current screen and focused widget offer right now.

        Every key this project binds there is listed, the footer's and the hidden ones (hjkl,
        pgup, ...), one line per action: "z / ⏎  Zoom". The app's own keys are under
        "Everywhere", and Textual's stock keys (a table's cursor, a text field's editing) are left
        out. A binding's tooltip, if any, is its longer help text.
        """
        lines: dict[tuple[int, str], tuple[list[str], list[str]]] = {}
        for node, binding, _enabled, tooltip in app.active_bindings.values():
            if node is app or not binding.description or not _is_our_binding(node, binding):
                continue
            action = binding.action.split("(")[0]  # move(-1, 0) and move(1, 0): one line
            keys, texts = lines.setdefault((id(node), action), ([], []))
            key = app.get_key_display(binding)
            text = tooltip or binding.description
            if key not in keys:
                keys.append(key)
            if text not in texts:
                texts.append(text)
        screen_keys = [
            ((" / " if len(keys) <= 2 else " ").join(keys), " / ".join(texts))
            for keys, texts in lines.values()
        ]
        title = getattr(app.screen, "HELP_TITLE", None)  # a screen pushed over a view's
        return cls(screen_keys, title or f"{app.current_mode.capitalize()} keys")

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


def _is_our_binding(node: DOMNode, binding: Binding) -> bool:
    """`binding` is declared in the BINDINGS of one of cifar_tui's classes (not Textual's)."""
    for cls in type(node).__mro__:
        declared = cls.__dict__.get("BINDINGS")
        if declared and cls.__module__.startswith("cifar_tui."):
            if any(
                (own.key, own.action) == (binding.key, binding.action)
                for own in Binding.make_bindings(declared)
            ):
                return True
    return False
