"""SteadyTable's fix for Textual's scrollbar thumb, shown after its table has scrolled."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Size

from cifar_tui.core.rundir.event_types import EpochEnded
from cifar_tui.ui.monitor.epoch_table import EpochTable


class OneTable(App[None]):
    CSS = "EpochTable { height: 10; }"

    def compose(self) -> ComposeResult:
        yield EpochTable()


async def test_a_scroll_before_the_scrollbar_shows_still_moves_its_thumb() -> None:
    """The race behind a flaky monitor snapshot, made deterministic: the table knows its full
    height (its idle handler ran) and scrolls to its last row before the layout that shows its
    scrollbar. Plain Textual leaves the thumb at the top while the rows shown are the last."""
    app = OneTable()
    async with app.run_test(size=(80, 20)) as pilot:
        table = app.query_one(EpochTable)
        await pilot.pause()
        for epoch in range(1, 13):
            table.add_epoch(EpochEnded(epoch=epoch, val_accuracy=0.5))
        rows_and_header = Size(table.virtual_size.width, 13)
        table.virtual_size = rows_and_header  # what DataTable's idle handler sets
        table.scroll_y = 3  # where moving the cursor to the last row scrolls
        assert not table.show_vertical_scrollbar  # the race's window: no layout since
        for _ in range(3):
            await pilot.pause()
        assert table.show_vertical_scrollbar
        assert table.scroll_y == table.max_scroll_y == 3
        assert table.vertical_scrollbar.position == 3
