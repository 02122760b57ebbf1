"""The robustness view (ui/robustness): a run's corruptions.json as a table and bars."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from svg_text import svg_rows
from textual.pilot import Pilot
from ui_support import FAILED, FINISHED, settle

from cifar_tui.app import CifarApp
from cifar_tui.core.analysis.robustness_report import RobustnessReport, write_report
from cifar_tui.core.data.corruptions import CORRUPTIONS, SEVERITIES
from cifar_tui.ui.robustness.robustness_screen import RobustnessBars, RobustnessScreen
from cifar_tui.ui.robustness.robustness_text import bar_lines

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]

DROPS = {"jpeg": 0.02, "gaussian_noise": 0.08, "gaussian_blur": 0.03, "contrast": 0.1,
         "brightness": 0.01}  # fmt: skip


def fixture_report() -> RobustnessReport:
    """A plausible report: accuracy falls with severity, by a different amount per corruption."""
    table = {
        name: tuple(round(0.9 - DROPS[name] * s, 4) for s in SEVERITIES) for name in CORRUPTIONS
    }
    return RobustnessReport("models/finished/model.keras", 10000, 0.9125, 0.8875, table, 312.4)


@pytest.fixture
def with_report(models_dir: Path) -> Path:
    write_report(models_dir / FINISHED, fixture_report())
    return models_dir


def screen_text(app: CifarApp) -> str:
    return "\n".join(svg_rows(app.export_screenshot()))


async def open_view(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("c")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_view_snapshot(
    snap_compare: Any, app_factory: Callable[..., CifarApp], with_report: Path,
    size: tuple[int, int],
) -> None:  # fmt: skip
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    assert snap_compare(app, terminal_size=size, run_before=open_view)


@pytest.mark.parametrize("size", SIZES)
def test_without_a_result_snapshot(
    snap_compare: Any, app_factory: Callable[..., CifarApp], size: tuple[int, int]
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    assert snap_compare(app, terminal_size=size, run_before=open_view)


async def test_monitor_key_opens_the_view_and_escape_returns(
    app_factory: Callable[..., CifarApp], with_report: Path
) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_view(pilot)
        screen = app.screen
        assert isinstance(screen, RobustnessScreen) and screen.report == fixture_report()
        table = screen_text(app)
        assert "Gaussian noise" in table and "clean 91.25%" in table and "JPEG q75 88.75%" in table
        bars = screen.query_one(RobustnessBars)
        assert bars.size.height == len(CORRUPTIONS) + 1
        await pilot.press("escape")
        assert type(app.screen).__name__ == "MonitorScreen"


async def test_reload_reads_a_new_result_and_a_bad_file_says_so(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    app = app_factory(open_run=FAILED, start_screen="monitor")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_view(pilot)
        text = screen_text(app)
        assert f"cifar-tui evaluate {FAILED} --corruptions" in text
        write_report(models_dir / FAILED, fixture_report())
        await pilot.press("r")
        assert isinstance(app.screen, RobustnessScreen) and app.screen.report is not None
        (models_dir / FAILED / "corruptions.json").write_text("{")
        await pilot.press("r")
        text = screen_text(app)
        assert "is not JSON" in text and app.screen.report is None


@pytest.mark.parametrize("width", [40, 80, 118])
def test_bars_scale_to_the_width_and_mark_the_clean_accuracy(width: int) -> None:
    report = fixture_report()
    lines = bar_lines(report, width).plain.splitlines()
    assert len(lines) == len(CORRUPTIONS) + 1 and all(len(line) == width for line in lines)
    cells = width - 15 - 7
    mark = round(report.clean * cells)
    for line, name in zip(lines, CORRUPTIONS, strict=False):
        assert line[15 + mark] == "│"
        assert line[15 : 15 + cells].count("█") == round(report.mean(name) * cells) - (
            1 if round(report.mean(name) * cells) > mark else 0
        )
        assert set(line[15 : 15 + cells]) <= {"█", "│", "·"}
    assert "│" not in lines[-1] and lines[-1].startswith("clean")
    assert lines[-1].endswith(" 91.2%")  # 91.25 rounds half to even
