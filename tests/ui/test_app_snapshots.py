"""SVG snapshots of each view at 120x40 and 80x24, over deterministic fixture runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input
from ui_support import FAILED, FINISHED, RUNNING, settle

from cifar_tui.app import CifarApp

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


def _before(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
class TestRunsScreen:
    def test_runs(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], with_running: Path,
        size: tuple[int, int],
    ) -> None:  # fmt: skip
        assert snap_compare(app_factory(), terminal_size=size, run_before=_before("down"))

    def test_empty(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], tmp_path: Path,
        size: tuple[int, int],
    ) -> None:  # fmt: skip
        app = app_factory(models_dir=Path("empty"))
        assert snap_compare(app, terminal_size=size, run_before=_before())


@pytest.mark.parametrize("size", SIZES)
class TestMonitorScreen:
    def test_finished(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], size: tuple[int, int]
    ) -> None:
        app = app_factory(open_run=FINISHED, start_screen="monitor")
        assert snap_compare(app, terminal_size=size, run_before=_before())

    def test_running(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], with_running: Path,
        size: tuple[int, int],
    ) -> None:  # fmt: skip
        app = app_factory(open_run=RUNNING, start_screen="monitor")
        assert snap_compare(app, terminal_size=size, run_before=_before())

    def test_failed(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], size: tuple[int, int]
    ) -> None:
        app = app_factory(open_run=FAILED, start_screen="monitor")
        assert snap_compare(app, terminal_size=size, run_before=_before())

    def test_loss_only_with_gpu(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], size: tuple[int, int]
    ) -> None:
        app = app_factory(open_run=FINISHED, start_screen="monitor")
        assert snap_compare(app, terminal_size=size, run_before=_before("v", "g"))


@pytest.mark.parametrize("size", SIZES)
class TestConfigScreen:
    def test_defaults(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], size: tuple[int, int]
    ) -> None:
        app = app_factory(start_screen="config")
        assert snap_compare(app, terminal_size=size, run_before=_before())

    def test_invalid_start_refused(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], size: tuple[int, int]
    ) -> None:
        async def run_before(pilot: Pilot[Any]) -> None:
            await settle(pilot)
            pilot.app.screen.query_one("#field-learning_rate", Input).value = "-1"
            await pilot.press("ctrl+t")
            await settle(pilot)
            pilot.app.clear_notifications()  # a toast repeats the line under the form
            await pilot.pause()

        app = app_factory(start_screen="config")
        assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
class TestDialogs:
    def test_help(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], size: tuple[int, int]
    ) -> None:
        assert snap_compare(app_factory(), terminal_size=size, run_before=_before("f1"))

    def test_quit_while_running(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], with_running: Path,
        size: tuple[int, int],
    ) -> None:  # fmt: skip
        async def run_before(pilot: Pilot[Any]) -> None:
            await settle(pilot)
            await pilot.press("q")
            await pilot.pause(0.5)  # the quit check scans the runs in a thread

        assert snap_compare(app_factory(), terminal_size=size, run_before=run_before)
