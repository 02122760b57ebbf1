"""Queued runs in the runs list: first, with their place and devices; nothing to open yet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ui_support import FAILED, FINISHED, INTERRUPTED, STOPPED, wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.presets import preset
from cifar_tui.core.queue import store
from cifar_tui.ui.runs.runs_list import RunsList
from cifar_tui.ui.runs.runs_screen import RunsScreen


async def test_queued_runs_are_listed_first_with_place_and_devices(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    fast = preset("fast")
    store.enqueue(models_dir, [("next-up", fast.replace(devices="1")), ("later", fast)], None)
    store.mark_failed(models_dir, store.queued(models_dir)[1], "trainer exited with code 2: x")
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        runs = pilot.app.screen.query_one(RunsList)
        await wait_for(pilot, lambda: runs.scanned)
        assert [run.name for run in runs.runs] == [
            "next-up", "later", INTERRUPTED, FAILED, STOPPED, FINISHED,
        ]  # fmt: skip
        assert str(runs.get_cell("next-up", "status")) == "… queued #1"
        assert str(runs.get_cell("next-up", "gpu")) == "1"
        assert str(runs.get_cell("later", "gpu")) == "auto"
        assert str(runs.get_cell("later", "epochs")) == f"0/{fast.epochs}"
        detail = str(pilot.app.screen.query_one("#run-detail").render())
        assert "number 1, on 1" in detail and "starts when a slot frees" in detail
        await pilot.press("enter")  # nothing to watch yet: the list stays
        await pilot.pause()
        assert isinstance(pilot.app.screen, RunsScreen)
        await pilot.press("down")
        await pilot.pause()
        detail = str(pilot.app.screen.query_one("#run-detail").render())
        assert "could not start: trainer exited with code 2: x" in detail
        assert "cifar-tui queue rm later" in detail
        assert str(runs.get_cell("later", "status")) == "✗ not started"
        assert pilot.app.screen.check_action("resume", ()) is None
        assert pilot.app.screen.check_action("watch", ()) is None
        store.remove(models_dir, "next-up")
        runs.rescan()
        await wait_for(pilot, lambda: runs.runs[0].name == "later")
