"""Work the app leaves out (bench/app_latency.py): footers rebuilt only when their keys change,
tables re-rendered only when their styles or size change, and view switches that pause painting
only until the view shown is ready."""

from __future__ import annotations

from collections.abc import Callable

from textual.strip import Strip
from textual.widgets._footer import FooterKey
from ui_support import FINISHED, settle, wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.rundir.event_types import EpochEnded
from cifar_tui.ui.common.key_footer import KeyFooter
from cifar_tui.ui.monitor.curves_pane import CurvePlot, CurvesPane
from cifar_tui.ui.monitor.epoch_table import EpochTable
from cifar_tui.ui.monitor.run_monitor import RunMonitor


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
        assert not await kept(lambda: app.screen.action_toggle_gpu())


async def test_after_an_epoch_the_plots_are_ready_at_the_sizes_other_views_show_them(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(CurvesPane)
        loss = pane.query_one("#curve-loss", CurvePlot)
        all_size = loss.size
        await pilot.press("v")  # all -> loss: the loss plot now fills the pane
        await wait_for(pilot, lambda: loss.size != all_size)
        await pilot.pause()
        pane.add_epoch(EpochEnded(epoch=11, loss=0.5, val_loss=0.6, accuracy=0.8,
                                  val_accuracy=0.75, learning_rate=1e-3))  # fmt: skip
        await wait_for(pilot, lambda: pane.epochs_plotted == 11)
        key = (all_size, app.theme, loss.theme)
        await wait_for(pilot, lambda: key in loss._renders, timeout=5)
        # The prerendered figure is the new one, as a render at that size would draw it.
        assert loss._renders[key].plain == loss._build(all_size).plain
        assert " 11" in loss._renders[key].plain.splitlines()[-2]  # the new epoch's tick
