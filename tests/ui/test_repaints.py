"""Work the app leaves out (bench/app_latency.py): footers rebuilt only when their keys change,
tables re-rendered only when their styles or size change, and view switches that pause painting
only until the view shown is ready."""

from __future__ import annotations

from collections.abc import Callable

from textual.strip import Strip
from textual.widgets._footer import FooterKey
from ui_support import FINISHED, settle, wait_for

from cifar_tui.app import CifarApp
from cifar_tui.ui.widgets.epoch_table import EpochTable
from cifar_tui.ui.widgets.key_footer import KeyFooter
from cifar_tui.ui.widgets.run_monitor import RunMonitor


def footer_keys(app: CifarApp) -> list[FooterKey]:
    return list(app.screen.query_one(KeyFooter).query(FooterKey))


async def test_the_footer_is_rebuilt_only_when_its_keys_change(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        keys = footer_keys(app)
        resume = next(key for key in keys if key.action == "resume")
        assert resume.has_class("-disabled")  # a finished run cannot be resumed
        app.screen.refresh_bindings()
        await pilot.pause()
        assert footer_keys(app) == keys  # the same widgets: nothing was rebuilt
        # A launch error makes the run "failed", which can be resumed: the footer shows it.
        app.screen.query_one(RunMonitor).show_launch_error("the trainer exited")
        await wait_for(pilot, lambda: footer_keys(app) != keys)
        resume = next(key for key in footer_keys(app) if key.action == "resume")
        assert not resume.has_class("-disabled")


async def test_switching_views_back_and_forth_paints_each_view(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key, mode, text in [("1", "runs", "epochs"), ("2", "monitor", "Curves")] * 3:
            await pilot.press(key)
            await wait_for(pilot, lambda: app._batch_count == 0)  # painting resumed
            assert app.current_mode == mode
            await pilot.pause()
            assert text in app.export_screenshot()


async def test_a_table_keeps_its_lines_unless_its_styles_or_size_change(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(EpochTable)
        sentinel = ("a line rendered earlier",)

        async def kept(change: Callable[[], object]) -> bool:
            table._line_cache[sentinel] = Strip([])
            change()
            await pilot.pause()
            await pilot.pause()
            return sentinel in table._line_cache

        assert await kept(app.screen.update_node_styles)  # what showing the view again does
        assert await kept(lambda: app.switch_mode("runs")) and await kept(
            lambda: app.switch_mode("monitor")
        )
        focused = table.has_focus
        # Focus changes the cursor row's colours; a narrower table lays its rows out again.
        assert not await kept(table.blur if focused else table.focus)
        assert not await kept(lambda: app.toggle_gpu(app.screen))
