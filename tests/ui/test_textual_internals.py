"""The private parts of Textual the app uses (ui/common/textual_internals.py) still exist and
still do what the app relies on: a Textual upgrade that changes one fails here, by name."""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App, ComposeResult
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Static
from ui_support import wait_for

from cifar_tui.ui.common.textual_internals import (
    drop_table_caches,
    footer_bindings_ready,
    hold_painting,
    mode_is_built,
    screen_render,
)


class TableScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()
        yield Footer()


class Two(App[None]):
    """Two modes of a table and a footer; "a" is shown at start."""

    MODES = {"a": TableScreen, "b": TableScreen}

    def on_mount(self) -> None:
        self.switch_mode("a")


async def test_mode_is_built_only_once_a_mode_was_shown() -> None:
    app = Two()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert mode_is_built(app, "a") and not mode_is_built(app, "b")
        await app.switch_mode("b")
        assert mode_is_built(app, "b")


async def test_hold_painting_stops_and_resumes_the_app_once() -> None:
    app = Two()
    async with app.run_test():
        before = app._batch_count
        resume = hold_painting(app)
        assert app._batch_count == before + 1  # painting is held
        resume()
        resume()  # a second call does nothing
        assert app._batch_count == before


async def test_a_table_drops_its_rendered_lines() -> None:
    app = Two()
    async with app.run_test() as pilot:
        table = app.screen.query_one(DataTable)
        table.add_column("x")
        table.add_row("1")
        await wait_for(pilot, lambda: len(table._line_cache) > 0)  # filled by a render
        drop_table_caches(table)
        assert not table._line_cache


async def test_the_footer_says_when_it_has_read_the_bindings() -> None:
    app = Two()
    assert not footer_bindings_ready(Footer())  # not mounted: it has read nothing yet
    async with app.run_test() as pilot:
        await pilot.pause()
        assert footer_bindings_ready(app.screen.query_one(Footer))


class Words(ModalScreen[None]):
    DEFAULT_CSS = "Words { align: right middle; } Words > Static { width: auto; }"

    def compose(self) -> ComposeResult:
        yield Static("on top", id="top")


async def test_the_screen_renders_whole_with_the_screens_below_a_modal() -> None:
    app = Two()
    async with app.run_test(size=(40, 6)) as pilot:
        app.screen.query_one(DataTable).add_columns("below")
        await app.push_screen(Words())
        await pilot.pause()
        console = Console(width=40, height=6, file=io.StringIO(), record=True)
        console.print(screen_render(app))
        text = console.export_text(styles=False)
    assert "on top" in text and "below" in text  # the modal and the screen under it
    assert len(text.splitlines()) == 6
