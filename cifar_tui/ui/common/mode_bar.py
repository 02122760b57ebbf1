"""The top line: the four views with their keys (the current one highlighted) and the open run."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from cifar_tui.core.rundir.folder import RunFolder

MODES = (("runs", "1", "Runs"), ("monitor", "2", "Monitor"), ("browse", "3", "Browse"),
         ("config", "4", "Config"))  # fmt: skip
KEYS = "   ? help  q quit"


class ModeBar(Widget):
    """Shows where you are and how to get elsewhere; click a view to switch to it."""

    def __init__(self, mode: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = mode
        self._run: RunFolder | None = None
        """The app's current run, whose name the bar shows."""

    def on_mount(self) -> None:
        self.watch(self.app, "current_run", self._run_changed)  # at once, then on each change

    def _run_changed(self, run: RunFolder | None) -> None:
        self._run = run
        self.refresh()

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        for mode, key, label in MODES:
            style = Style(reverse=True, bold=True) if mode == self.mode else Style()
            click = Style.from_meta({"@click": f"app.show('{mode}')"})
            text.append(f" {key} {label} ", style=style + click)
            text.append(" ")
        run = self._run
        if run is not None:
            # The run name gives way, not the keys: at 80 columns a long name hid "q quit".
            room = self.content_size.width - len(text) - len(KEYS)
            if room >= 2:  # " " and at least the ellipsis
                name = Text(f" {run.name}", style="bold")
                name.truncate(room, overflow="ellipsis")
                text.append_text(name)
        text.append(KEYS, style="dim")
        return text
