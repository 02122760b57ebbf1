"""Quitting while a run trains asks first; the help lists every key, the footers fit 80 columns."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.binding import Binding
from textual.widgets._footer import FooterKey
from ui_support import FINISHED, RUNNING, settle, wait_for

from cifar_tui.app import START_SCREENS, CifarApp
from cifar_tui.core.host import launcher
from cifar_tui.core.presets import preset
from cifar_tui.core.queue import store
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.ui.browser.prediction_browser import PredictionBrowser
from cifar_tui.ui.common.key_footer import KeyFooter
from cifar_tui.ui.dialogs.help_screen import HelpScreen
from cifar_tui.ui.dialogs.quit_screen import QuitScreen
from cifar_tui.ui.runs.runs_list import RunsList
from cifar_tui.ui.runs.runs_screen import RunsScreen


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


async def test_quit_says_which_queued_runs_will_still_start(
    app_factory: Callable[..., CifarApp], with_running: Path, stop_calls: list[str]
) -> None:
    """Stopping frees a slot for the queue: the dialog names the waiting runs, not failed ones."""
    fast = preset("fast")
    store.enqueue(with_running, [("next-up", fast), ("broken", fast)], None)
    store.mark_failed(with_running, store.queued(with_running)[1], "trainer exited with code 2")
    app = app_factory()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitScreen))
        question = " ".join(str(app.screen.query_one("#quit-question").render()).split())
        assert "Queued: next-up. It starts as slots free, even after you quit" in question
        assert "broken" not in question and "cifar-tui queue rm NAME" in question
        await pilot.press("s")
        await pilot.pause()
        assert stop_calls == [RUNNING] and app._exit  # noqa: SLF001


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


def help_text(help_screen: HelpScreen) -> str:
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(help_screen._keys_table())  # noqa: SLF001
    return console.export_text()


async def test_help_lists_every_browse_key_once(app_factory: Callable[..., CifarApp]) -> None:
    """Hidden keys (hjkl, pgup, x, r, T, P) are listed too; keys of one action share a line."""
    app = app_factory(open_run=FINISHED, start_screen="browse")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.focused, PredictionBrowser))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        lines = dict(app.screen.screen_keys)
        for keys in ["← ↓ ↑ → h j k l", "pgup / pgdn", "home / end", "t / T", "p / P", "x", "r"]:
            assert keys in lines
        assert lines["z / ⏎"].startswith("Zoom")
        assert sum("Zoom" in text for text in lines.values()) == 1
        listed = [key for keys in lines for key in keys.replace(" / ", " ").split()]
        bound = Binding.make_bindings(PredictionBrowser.BINDINGS)
        assert sorted(listed) == sorted(app.get_key_display(binding) for binding in bound)
        text = help_text(app.screen)
        assert "x                Clear filters and sort" in text
        assert "prediction browser of the open run" in text  # and the app's keys


@pytest.mark.parametrize("mode", START_SCREENS)
async def test_every_footer_fits_80_columns(
    app_factory: Callable[..., CifarApp], with_running: Path, mode: str
) -> None:
    """Each key the footer shows is whole on screen at 80x24, its label included."""
    app = app_factory(open_run=FINISHED, start_screen=mode)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = list(app.screen.query_one(KeyFooter).query(FooterKey))
        footer_line = app.screen._compositor.render_strips()[-1].text  # noqa: SLF001
        assert keys and all(key.region.right <= 80 for key in keys)
        for key in keys:
            assert f"{key.key_display} {key.description}" in footer_line
        last = keys[-1]
        assert footer_line.rstrip().endswith(f"{last.key_display} {last.description}")


async def test_the_browse_footer_is_compact_only_when_narrow(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="browse")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        footer = app.screen.query_one(KeyFooter)
        assert footer.compact  # nine keys: 81 columns in the roomy style
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: not footer.compact)
        keys = list(footer.query(FooterKey))
        assert keys[-1].region.right <= 81 < 120


@pytest.mark.parametrize("freeze", [False, True], ids=["tests and default", "the CLI's app"])
async def test_the_heap_is_frozen_only_when_asked(
    app_factory: Callable[..., CifarApp], freeze: bool
) -> None:
    """The CLI's app takes its startup objects out of the collector's walk (shorter full
    collections); a test process, which goes on to run other apps, must not leak them."""
    import gc

    gc.unfreeze()
    try:
        app = app_factory(start_screen="runs", freeze_heap=freeze)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: (gc.get_freeze_count() > 0) == freeze, timeout=2)
            await pilot.pause(0.2)
            assert (gc.get_freeze_count() > 0) == freeze
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("yield_cpu", [False, True], ids=["tests and default", "the CLI's app"])
async def test_the_app_yields_the_cpu_after_its_first_frame_only_when_asked(
    app_factory: Callable[..., CifarApp], monkeypatch: pytest.MonkeyPatch, yield_cpu: bool
) -> None:
    """The CLI's app gives the CPU to training once its first view is up (starting fast, then
    taking only what training leaves); the real call is for good, so it is faked here."""
    from cifar_tui.core.host import priority

    painted_when_yielding: list[bool] = []
    app = app_factory(start_screen="runs", yield_cpu=yield_cpu)
    monkeypatch.setattr(
        priority,
        "yield_cpu_to_training",
        lambda: painted_when_yielding.append(app.screen.query_one(RunsList).region.height > 0),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: bool(painted_when_yielding) == yield_cpu, timeout=2)
        await pilot.pause(0.2)
        assert painted_when_yielding == ([True] if yield_cpu else [])
