"""The config form: inline validation, refusing to start, presets, save/load, and starting."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Select, Static, Switch
from ui_support import wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.config import TrainConfig
from cifar_tui.core.config_files import load_config, save_config
from cifar_tui.core.host import launcher
from cifar_tui.core.presets import preset
from cifar_tui.ui.config.config_form import ConfigForm
from cifar_tui.ui.config.config_screen import ConfigScreen
from cifar_tui.ui.monitor.monitor_screen import MonitorScreen
from cifar_tui.ui.monitor.run_monitor import RunMonitor


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[tuple[TrainConfig, str | None, str | None]]:
    """launcher.spawn_training, recorded instead of starting a trainer."""
    calls: list[tuple[TrainConfig, str | None, str | None]] = []

    def fake_spawn(
        config: TrainConfig, models_dir: Path, data_dir: str | None, name: str | None = None
    ) -> launcher.LaunchedRun:
        calls.append((config, data_dir, name))
        name = name or "2026-11-26_1000_quick"
        path = Path(models_dir) / name
        return launcher.LaunchedRun(name, 4321, path, Path(models_dir) / f".{name}.launch.log")

    monkeypatch.setattr(launcher, "spawn_training", fake_spawn)
    return calls


async def _set(pilot: Any, field: str, text: str) -> None:
    widget = pilot.app.screen.query_one(f"#{field}", Input)
    widget.value = text
    await pilot.pause()


async def test_a_bad_learning_rate_is_marked_and_start_is_refused(
    app_factory: Callable[..., CifarApp], spawned: list[Any]
) -> None:
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.screen.query_one(ConfigForm)
        assert form.problems == []
        field = app.screen.query_one("#field-learning_rate", Input)
        field.focus()
        field.value = ""
        await pilot.press("minus", "1")  # typed, as a user would
        await pilot.pause()
        assert field.value == "-1"
        assert field.has_class("-invalid")
        assert app.screen.query_one("#row-learning_rate").has_class("-invalid")
        error = app.screen.query_one("#error-learning_rate", Static)
        assert error.display
        assert "learning_rate must be > 0 and <= 10 (got -1.0)" in str(error.render())
        await pilot.press("ctrl+t")
        await pilot.pause()
        message = str(app.screen.query_one("#config-message", Static).render())
        assert message.startswith("Cannot start: learning_rate must be > 0")
        assert spawned == []
        assert isinstance(app.screen, ConfigScreen)
        await _set(pilot, "field-learning_rate", "0.01")
        assert not field.has_class("-invalid")
        assert form.problems == []


async def test_cross_field_problems_are_marked(app_factory: Callable[..., CifarApp]) -> None:
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40)) as pilot:
        await _set(pilot, "field-dropout", "0.1,0.2")
        await _set(pilot, "field-lr_step_epochs", "100,75")
        await _set(pilot, "field-lr_step_values", "0.0005,0.0003")  # one per step: not at fault
        form = app.screen.query_one(ConfigForm)
        assert {problem.field for problem in form.problems} == {"dropout", "lr_step_epochs"}
        assert app.screen.query_one("#row-dropout").has_class("-invalid")


async def test_the_preset_selector_fills_every_field(app_factory: Callable[..., CifarApp]) -> None:
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#field-preset", Select).value = "fast"
        await pilot.pause()
        form = app.screen.query_one(ConfigForm)
        assert form.config == preset("fast")
        assert app.screen.query_one("#field-architecture", Select).value == "airbench-small"
        assert app.screen.query_one("#field-learning_rate", Input).value == "0.2"
        assert app.screen.query_one("#field-nesterov", Switch).value is True
        assert str(app.screen.query_one("#state-nesterov", Static).render()) == "on"
        assert app.screen.query_one("#field-lr_step_epochs", Input).value == ""


async def test_save_and_load_through_the_form(
    app_factory: Callable[..., CifarApp], tmp_path: Path
) -> None:
    saved = tmp_path / "mine.toml"
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40)) as pilot:
        await _set(pilot, "field-epochs", "7")
        await _set(pilot, "config-path", str(saved))
        await pilot.press("ctrl+s")
        assert load_config(saved) == preset("recipe-2018").replace(epochs=7)
        # Loading a file restores its values and its preset, not the preset's defaults.
        save_config(preset("quick").replace(epochs=2, seed=5), saved)
        await _set(pilot, "field-epochs", "99")
        await pilot.press("ctrl+o")
        await pilot.pause()
        form = app.screen.query_one(ConfigForm)
        assert form.config == preset("quick").replace(epochs=2, seed=5)
        assert app.screen.query_one("#field-preset", Select).value == "quick"
        assert "Loaded" in str(app.screen.query_one("#config-message", Static).render())
        await _set(pilot, "config-path", str(tmp_path / "missing.toml"))
        await pilot.press("ctrl+o")
        assert "not found" in str(app.screen.query_one("#config-message", Static).render())


async def test_start_spawns_a_trainer_and_opens_its_monitor(
    app_factory: Callable[..., CifarApp], spawned: list[Any]
) -> None:
    app = app_factory(start_screen="config", data_dir="/data/cifar")
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one("#field-preset", Select).value = "quick"
        await pilot.pause()
        await _set(pilot, "run-name", "tiny")
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert spawned == [(preset("quick"), "/data/cifar", "tiny")]
        assert isinstance(app.screen, MonitorScreen)
        monitor = app.screen.query_one(RunMonitor)
        assert monitor.run is not None and monitor.run.name == "tiny"
        assert monitor.status == "starting"


async def test_a_trainer_that_dies_at_once_is_reported_in_the_monitor(
    app_factory: Callable[..., CifarApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = "import sys; print('cifar-tui: error: CIFAR-10 not found in /nowhere'); sys.exit(2)"
    monkeypatch.setattr(launcher, "trainer_command", lambda args: [sys.executable, "-c", script])
    app = app_factory(start_screen="config")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+t")
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.launch_error is not None, timeout=10)
        assert monitor.launch_error == (
            "trainer exited with code 2: cifar-tui: error: CIFAR-10 not found in /nowhere"
        )
        assert monitor.status == "failed"
        assert "Launch failed" in str(app.screen.query_one("#run-failure").render())
