"""The runs list: listing, opening, stopping, resuming, and noticing new runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from run_fixtures import write_run
from ui_support import FAILED, FINISHED, INTERRUPTED, RUNNING, STOPPED, wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.host import launcher
from cifar_tui.core.rundir import listing
from cifar_tui.core.rundir.events import EventTail
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.listing import RunScanner
from cifar_tui.ui.browser.browse_screen import BrowseScreen
from cifar_tui.ui.browser.prediction_browser import PredictionBrowser
from cifar_tui.ui.monitor.monitor_screen import MonitorScreen
from cifar_tui.ui.monitor.run_monitor import RunMonitor
from cifar_tui.ui.runs.runs_list import RunsList


@pytest.fixture
def stop_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """launcher.stop_run, recorded instead of signalling (the fixture's trainer is pytest)."""
    calls: list[str] = []

    def fake_stop(run: RunFolder) -> bool:
        calls.append(run.name)
        return True

    monkeypatch.setattr(launcher, "stop_run", fake_stop)
    return calls


async def _listed(pilot: Any) -> RunsList:
    runs = pilot.app.screen.query_one(RunsList)
    await wait_for(pilot, lambda: runs.scanned)
    return runs


async def test_lists_every_run_newest_first(
    app_factory: Callable[..., CifarApp], with_running: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        runs = await _listed(pilot)
        assert [run.name for run in runs.runs] == [RUNNING, INTERRUPTED, FAILED, STOPPED, FINISHED]
        assert [run.status for run in runs.runs] == [
            "running", "interrupted", "failed", "stopped", "finished",
        ]  # fmt: skip
        assert runs.row_count == 5
        assert "72.15% @8" in str(runs.get_cell(FINISHED, "best"))


async def test_enter_opens_the_monitor_and_b_the_browser(
    app_factory: Callable[..., CifarApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(PredictionBrowser, "show_run", lambda self, run: shown.append(run.name))
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await _listed(pilot)
        await pilot.press("down", "enter")  # second newest: the failed run
        assert isinstance(app.screen, MonitorScreen)
        assert app.screen.query_one(RunMonitor).run == RunFolder(Path("models") / FAILED)
        await pilot.press("1")
        await pilot.press("b")  # the cursor is still on the failed run
        assert isinstance(app.screen, BrowseScreen)
        assert shown == [FAILED]
        await pilot.press("2")
        assert isinstance(app.screen, MonitorScreen)


async def test_stop_key_stops_the_selected_running_run(
    app_factory: Callable[..., CifarApp], with_running: Path, stop_calls: list[str]
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await _listed(pilot)
        await pilot.press("s")
        assert stop_calls == [RUNNING]


async def test_resume_spawns_a_trainer_for_a_stopped_run(
    app_factory: Callable[..., CifarApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    spawned: list[str] = []

    def fake_resume(name: str, models_dir: Path, data_dir: str | None) -> launcher.LaunchedRun:
        spawned.append(name)
        path = Path(models_dir) / name
        return launcher.LaunchedRun(name, 99999, path, Path(models_dir) / f".{name}.launch.log")

    monkeypatch.setattr(launcher, "spawn_resume", fake_resume)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        runs = await _listed(pilot)
        runs.select_run(FINISHED)
        await pilot.press("r")
        assert spawned == []  # a finished run is not resumed
        runs.select_run(STOPPED)
        await pilot.press("r")
        assert spawned == [STOPPED]
        assert isinstance(app.screen, MonitorScreen)
        assert app.trainers.launched[STOPPED].pid == 99999


async def test_a_new_run_appears_within_a_refresh(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        runs = await _listed(pilot)
        assert runs.row_count == 4
        write_run(models_dir, "2026-11-26_0900_new", "finished", 1, 1, seed=9)
        runs.rescan()
        await wait_for(pilot, lambda: runs.row_count == 5)


def test_scanner_rereads_only_changed_runs(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scanner = RunScanner(models_dir)
    first = scanner.scan()
    reads: list[str] = []
    original = listing.summarize_run
    monkeypatch.setattr(
        listing,
        "summarize_run",
        lambda run, reader=None: reads.append(run.name) or original(run, reader),
    )
    assert scanner.scan() == first
    assert reads == []
    with (models_dir / STOPPED / "events.jsonl").open("a") as events:
        events.write('{"type":"batch","time":1.0e9,"epoch":5,"step":3,"steps":352}\n')
    scanner.scan()
    assert reads == [STOPPED]


def test_scanner_reads_a_running_run_on_from_where_it_stopped(
    with_running: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A running run is summarized at every scan (its trainer may die without touching a file):
    # from where the scan before stopped, not from the start of its file.
    models_dir = with_running
    scanner = RunScanner(models_dir)
    before = {summary.name: summary for summary in scanner.scan()}[RUNNING]
    events = models_dir / RUNNING / "events.jsonl"
    read_sizes: list[int] = []
    original = EventTail._read_lines

    def read_lines(self: EventTail) -> tuple[list[bytes], bool]:
        lines, restarted = original(self)
        read_sizes.append(sum(len(line) + 1 for line in lines))
        return lines, restarted

    monkeypatch.setattr(EventTail, "_read_lines", read_lines)
    epoch = before.epochs_done + 1
    line = f'{{"type":"epoch_ended","time":2.0e9,"epoch":{epoch},"val_accuracy":0.99}}\n'
    with events.open("a") as file:
        file.write(line)
    after = {summary.name: summary for summary in scanner.scan()}[RUNNING]
    assert read_sizes == [len(line)]  # only the new line, not the whole file again
    assert (after.epochs_done, after.best_val_accuracy) == (epoch, 0.99)
    assert after.status == "running"


def test_scanner_forgets_a_deleted_runs_reader(models_dir: Path) -> None:
    import shutil

    scanner = RunScanner(models_dir)
    scanner.scan()
    shutil.rmtree(models_dir / STOPPED)
    assert STOPPED not in [summary.name for summary in scanner.scan()]
    assert STOPPED not in scanner._readers


async def test_the_mode_bar_is_clickable(app_factory: Callable[..., CifarApp]) -> None:
    from cifar_tui.ui.common.mode_bar import ModeBar
    from cifar_tui.ui.config.config_screen import ConfigScreen

    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await _listed(pilot)
        await pilot.click(ModeBar, offset=(36, 0))  # " 4 Config " starts at column 33
        await pilot.pause()
        assert isinstance(app.screen, ConfigScreen)


async def test_a_long_run_name_gives_way_to_the_keys(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    from cifar_tui.ui.common.mode_bar import ModeBar

    name = "2026-11-25_2345_a-rather-long-run-name-x"
    assert len(name) == 40  # the audit's length
    write_run(models_dir, name, "finished", 2, 2, seed=5)
    app = app_factory(open_run=name, start_screen="monitor")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        line = app.screen.query_one(ModeBar).render_line(0).text
        assert line.rstrip().endswith("? help  q quit")
        assert " 2026-11-25_2345_a-" in line and "…" in line


async def test_the_runs_list_scans_only_while_shown(
    app_factory: Callable[..., CifarApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cifar_tui.ui.runs.runs_list as runs_list_module

    monkeypatch.setattr(runs_list_module, "REFRESH_SECONDS", 0.05)
    scans: list[float] = []
    original = RunScanner.scan
    monkeypatch.setattr(RunScanner, "scan", lambda self: scans.append(1) or original(self))
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await _listed(pilot)
        await wait_for(pilot, lambda: len(scans) >= 3)  # every 0.05 s while shown
        await pilot.press("enter")  # the newest run's monitor
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen))
        await pilot.pause(0.1)
        hidden = len(scans)
        await pilot.pause(0.3)
        assert len(scans) == hidden  # six intervals and no scan while the monitor is shown
        await pilot.press("1")
        await wait_for(pilot, lambda: len(scans) > hidden)  # shown again: scanned at once
