"""The footer of every view: Textual's Footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's Footer, minus the rebuilds that would show the same keys again.

    Footer removes and mounts one widget per key whenever its screen's bindings may have
    changed: on every `refresh_bindings` (the monitor calls it on each event that may change the
    run's status, the runs list on each rescan), and on both views at each view switch. Each
    rebuild costs the UI thread ~10-20 ms, on the way of a key press's repaint. This one rebuilds
    only when the keys, their descriptions or their enabled states differ from those on screen.
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
        if not self._bindings_ready or not self.is_attached:
            await super().recompose()
            return
        keys = self._keys()
        if keys == self._shown:
            return
        self._shown = keys
        await super().recompose()
