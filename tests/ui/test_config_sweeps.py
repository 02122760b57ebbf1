"""The config form with a sweep: the run count, the Queue key, refusals, and the focused field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Input, Static
from ui_support import settle

from cifar_tui.app import CifarApp
from cifar_tui.core.host import launcher
from cifar_tui.core.presets import preset
from cifar_tui.core.queue.store import queued
from cifar_tui.ui.config import queueing
from cifar_tui.ui.config.config_screen import ConfigScreen

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


@pytest.fixture
def runners(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """ensure_runner, recorded instead of starting the queue's runner process."""
    calls: list[Path] = []

    def record(models_dir: Path) -> bool:
        calls.append(Path(models_dir))
        return True

    monkeypatch.setattr(queueing, "ensure_runner", record)
    return calls


@pytest.fixture
def no_spawn(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """launcher.spawn_training must not be called; a call is recorded (and fails the test)."""
    calls: list[str | None] = []

    def refuse(*args: Any, name: str | None = None, **kwargs: Any) -> launcher.LaunchedRun:
        calls.append(name)
        raise OSError("spawning is not expected here")

    monkeypatch.setattr(launcher, "spawn_training", refuse)
    return calls


async def _type(pilot: Pilot[Any], fields: dict[str, str]) -> None:
    for field, text in fields.items():
        pilot.app.screen.query_one(f"#{field}", Input).value = text
    await pilot.pause()


def _line(pilot: Pilot[Any], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


async def test_a_sweep_shows_its_run_count(app_factory: Callable[..., CifarApp]) -> None:
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.screen.query_one("#sweep-count").display
        await _type(pilot, {"field-learning_rate": "0.05,0.1,0.2", "field-seed": "0,1,2"})
        assert app.screen.query_one("#sweep-count").display
        assert not app.screen.query_one("#preset-hint").display
        assert _line(pilot, "#sweep-count") == "9 runs: lr x3, seed x3 · ctrl+r queues"
        await _type(pilot, {"field-dropout": "0.2,0.3,0.4/0,0,0"})
        assert _line(pilot, "#sweep-count").startswith("18 runs: lr x3, drop x2, seed x3")
        await _type(pilot, {"field-learning_rate": "0.1", "field-seed": "1", "field-dropout": ""})
        assert not app.screen.query_one("#sweep-count").display


async def test_the_queue_key_queues_every_run_of_the_sweep(
    app_factory: Callable[..., CifarApp], models_dir: Path, runners: list[Path]
) -> None:
    seen: list[Message] = []
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await _type(
            pilot,
            {"field-learning_rate": "0.05,0.1", "field-seed": "0,1,2", "run-name": "try"},
        )
        await pilot.press("ctrl+r")
        await pilot.pause()
    # The hook sees the message at the screen, then at the app it bubbles to.
    requests = list({id(m): m for m in seen if isinstance(m, ConfigScreen.QueueRequested)}.values())
    assert len(requests) == 1
    names = [name for name, _ in requests[0].entries]
    assert names == [
        "try-lr0.05-seed0",
        "try-lr0.05-seed1",
        "try-lr0.05-seed2",
        "try-lr0.1-seed0",
        "try-lr0.1-seed1",
        "try-lr0.1-seed2",
    ]
    base = preset("recipe-2018")
    assert [(c.learning_rate, c.seed) for _, c in requests[0].entries][3] == (0.1, 0)
    assert all(c.replace(learning_rate=0.001, seed=0) == base for _, c in requests[0].entries)
    # The app queued them, in order, and made sure the runner runs.
    assert [run.name for run in queued(models_dir)] == names
    [notice] = [m.notification.message for m in seen if isinstance(m, Notify)]
    assert notice.startswith("Queued 6 runs, try-lr0.05-seed0 ... try-lr0.1-seed2; each starts")
    assert runners == [models_dir]


async def test_a_bad_value_refuses_the_whole_sweep_in_one_line(
    app_factory: Callable[..., CifarApp], models_dir: Path, runners: list[Path]
) -> None:
    seen: list[Message] = []
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await _type(pilot, {"field-learning_rate": "0.05,0.1", "field-seed": "0,x,2"})
        await pilot.press("ctrl+r")
        await pilot.pause()
        line = _line(pilot, "#config-message")
        assert line == "Cannot queue: seed value 2 of 3 must be an int (got 'x')"
        assert app.screen.focused is app.screen.query_one("#field-seed")
    assert not any(isinstance(m, ConfigScreen.QueueRequested) for m in seen)
    assert queued(models_dir) == [] and runners == []


async def test_start_refuses_a_sweep_and_points_at_the_queue_key(
    app_factory: Callable[..., CifarApp], no_spawn: list[str | None]
) -> None:
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40)) as pilot:
        await _type(pilot, {"field-seed": "0,1,2"})
        await pilot.press("ctrl+t")
        await pilot.pause()
        line = _line(pilot, "#config-message")
        assert line == "Cannot start 3 runs: seed x3 at once: ctrl+r queues them"
    assert no_spawn == []


async def test_a_taken_name_is_refused_before_anything_is_queued(
    app_factory: Callable[..., CifarApp], models_dir: Path, runners: list[Path]
) -> None:
    (models_dir / "try-seed1").mkdir()
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40)) as pilot:
        await _type(pilot, {"field-seed": "0,1", "run-name": "try"})
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert "run try-seed1 is already queued or exists" in _line(pilot, "#config-message")
    assert queued(models_dir) == [] and runners == []


async def test_the_focused_fields_label_is_shown_reversed(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#field-epochs").focus()
        await pilot.pause()
        labels = {row.id: row.query_one(".field-label") for row in app.screen.query(".field-row")}
        styles = {name: label.styles.text_style for name, label in labels.items()}
        assert styles["row-epochs"].reverse and styles["row-epochs"].bold
        assert not styles["row-batch_size"].reverse
        await pilot.press("tab")  # the label of the field left is plain again
        await pilot.pause()
        assert not labels["row-epochs"].styles.text_style.reverse
        assert labels["row-batch_size"].styles.text_style.reverse


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_a_sweep_with_the_focus_on_a_field(
    snap_compare: Any, app_factory: Callable[..., CifarApp], size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await _type(pilot, {"field-learning_rate": "0.05,0.1,0.2"})
        pilot.app.screen.query_one("#field-epochs", Input).focus()
        await pilot.pause()
        pilot.app.screen.query_one("#field-epochs", Input).selection = (3, 3)  # no selection
        await settle(pilot)

    app = app_factory(start_screen="config")
    assert snap_compare(app, terminal_size=size, run_before=run_before)
