"""The app's four views by mode name, each screen imported the first time its view opens.

The first frame needs one view (bench/app_startup.py measures it): the others' modules, and what
they import (the browser's numpy work, plotext), load when first shown. Each factory is a plain
function with its import inside, so readers and tools can follow it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.screen import Screen

from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.ui.common.gpu_settings import GpuSettings


def runs_view(models_dir: Path, data_dir: str | None, gpu: GpuSettings) -> Screen[Any]:
    from cifar_tui.ui.runs.runs_screen import RunsScreen

    return RunsScreen(models_dir, gpu)


def monitor_view(models_dir: Path, data_dir: str | None, gpu: GpuSettings) -> Screen[Any]:
    from cifar_tui.ui.monitor.monitor_screen import MonitorScreen

    return MonitorScreen(gpu)


def browse_view(models_dir: Path, data_dir: str | None, gpu: GpuSettings) -> Screen[Any]:
    from cifar_tui.ui.browser.browse_screen import BrowseScreen

    return BrowseScreen(data_dir)


def config_view(models_dir: Path, data_dir: str | None, gpu: GpuSettings) -> Screen[Any]:
    from cifar_tui.ui.config.config_screen import ConfigScreen

    return ConfigScreen(models_dir, data_dir, gpu)


def compare_view(runs: list[RunFolder]) -> Screen[Any]:
    """The comparison of `runs`, pushed over the runs list (not one of the four views)."""
    from cifar_tui.ui.compare.compare_screen import CompareScreen

    return CompareScreen(runs)


def versus_view(run: RunFolder, other: RunFolder, data_dir: str | None) -> Screen[Any]:
    """Run `run`'s predictions browsed against `other`'s, pushed over the comparison."""
    from cifar_tui.ui.compare.versus_screen import VersusScreen

    return VersusScreen(run, other, data_dir)


def robustness_view(run: RunFolder) -> Screen[Any]:
    """Run `run`'s accuracy on corrupted test images, pushed over the monitor."""
    from cifar_tui.ui.robustness.robustness_screen import RobustnessScreen

    return RobustnessScreen(run)


VIEWS: dict[str, Callable[[Path, str | None, GpuSettings], Screen[Any]]] = {
    "runs": runs_view,
    "monitor": monitor_view,
    "browse": browse_view,
    "config": config_view,
}
