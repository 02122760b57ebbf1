"""The footer of every view: Textual's Footer, rebuilt only when the keys it shows change, and
compact when its keys would not fit the terminal's width otherwise."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from textual.events import Resize
from textual.widgets import Footer

from cifar_tui.ui.common.textual_internals import footer_bindings_ready


class KeyFooter(Footer):
    """Textual's Footer, minus the rebuilds that would show the same keys again.

    Footer removes and mounts one widget per key whenever its screen's bindings may have
    changed: on every `refresh_bindings` (the monitor calls it on each event that may change the
    run's status, the runs list on each rescan), and on both views at each view switch. Each
    rebuild holds up the UI thread on the way of a key press's repaint (BENCHMARKS.md, app
    latency). This one rebuilds only when the keys, their descriptions or their enabled states
    differ from those on screen.

    Footer's roomy style takes " key description " for each key; where that would overflow the
    footer (the browser's nine keys at 80 columns), it goes compact ("key description" and one
    space between keys), one column less per key.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[Any, ...] | None = None

    def _keys(self) -> tuple[Any, ...]:
        """All that `compose` reads that can change (Binding is a frozen dataclass: it compares
        by value); hidden bindings are in too, which costs at most a needless rebuild."""
        return (
            self.show_command_palette,
            self.combine_groups,
            *(
                (binding, enabled, tooltip)
                for _node, binding, enabled, tooltip in self.screen.active_bindings.values()
            ),
        )

    async def recompose(self) -> None:
        if not footer_bindings_ready(self) or not self.is_attached:
            await super().recompose()
            return
        keys = self._keys()
        if keys == self._shown:
            return
        self._shown = keys
        self._fit()
        await super().recompose()

    def on_resize(self, event: Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Go compact when the keys, roomy, would be wider than the footer (and back)."""
        if not self.is_attached or not self.size.width:
            return
        self.compact = self._roomy_width() > self.size.width

    def _roomy_width(self) -> int:
        """Columns the shown keys take in Footer's roomy style: " key description " each."""
        actions: set[str] = set()
        width = 0
        for _node, binding, _enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in actions:  # Footer shows one key per action
                actions.add(binding.action)
                key = self.app.get_key_display(binding)
                width += cell_len(key) + cell_len(binding.description) + 3
        return width
