"""Quitting while a run trains asks first; the help screen lists the keys."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from ui_support import RUNNING, wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core import launcher
from cifar_tui.core.runs import RunFolder
from cifar_tui.ui.screens.help_screen import HelpScreen
from cifar_tui.ui.screens.quit_screen import QuitScreen
from cifar_tui.ui.screens.runs_screen import RunsScreen


@pytest.fixture
def stop_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """launcher.stop_run, recorded instead of signalling (the fixture's trainer is pytest)."""
    calls: list[str] = []

    def fake_stop(run: RunFolder) -> bool:
        calls.append(run.name)
        return True

    monkeypatch.setattr(launcher, "stop_run", fake_stop)
    return calls


async def test_quit_without_running_runs_just_quits(app_factory: Callable[..., CifarApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await wait_for(pilot, lambda: app._exit)  # noqa: SLF001 - Textual's exit flag
    assert app.return_code == 0


@pytest.mark.parametrize(
    ("key", "stops", "exits"),
    [("s", [RUNNING], True), ("l", [], True), ("escape", [], False)],
    ids=["stop-it", "leave-it-running", "cancel"],
)
async def test_quit_while_running_asks(
    app_factory: Callable[..., CifarApp],
    with_running: Path,
    stop_calls: list[str],
    key: str,
    stops: list[str],
    exits: bool,
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen))
        assert RUNNING in str(app.screen.query_one("#quit-question").render())
        await pilot.press(key)
        await pilot.pause()
        assert stop_calls == stops
        assert app._exit is exits  # noqa: SLF001
        if not exits:
            assert isinstance(app.screen, RunsScreen)


async def test_help_lists_the_screen_keys(app_factory: Callable[..., CifarApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        keys = dict(app.screen.screen_keys)
        assert keys["s"] == "Stop" and keys["r"] == "Resume"
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(app.screen._keys_table())  # noqa: SLF001
        text = console.export_text()
        assert "prediction browser of the open run" in text and "Resume" in text
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, RunsScreen)
