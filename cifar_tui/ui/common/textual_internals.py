"""The private parts of Textual this app relies on, each behind one small function.

Each is pinned by tests/ui/test_textual_internals.py, which fails loudly (naming the function)
when a Textual upgrade renames or changes what is used here; the pin in pyproject.toml keeps
them working until then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import RenderableType
from textual.app import App
from textual.widgets import DataTable, Footer


def mode_is_built(app: App[Any], mode: str) -> bool:
    """Whether the view of `mode` has been composed (it has a screen stack)."""
    return bool(app._screen_stacks.get(mode))


def hold_painting(app: App[Any]) -> Callable[[], None]:
    """Stop painting `app` until the returned function is first called.

    What would have been painted meanwhile is dropped, as in Textual's own `delay_update`; the
    returned function resumes painting (once: later calls do nothing) and, when no other hold is
    left, repaints the screen whole.
    """
    app._begin_batch()
    ended = False

    def resume() -> None:
        nonlocal ended
        if not ended:
            ended = True
            app._end_batch()
            if not app._batch_count:
                app.screen.refresh()

    return resume


def drop_table_caches(table: DataTable[Any]) -> None:
    """Drop a DataTable's rendered lines and cells (what its `notify_style_update` drops)."""
    table._clear_caches()


def footer_bindings_ready(footer: Footer) -> bool:
    """Whether Footer has read the screen's bindings once (before that it composes empty)."""
    return bool(footer._bindings_ready)


def screen_render(app: App[Any]) -> RenderableType:
    """The current screen whole, as Rich segments (what `App.export_screenshot` prints to its
    recording console before exporting an SVG), screens below a modal one included."""
    render = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    assert render is not None  # full=True always renders
    return render
