"""The monitor of one run drawn without a terminal: `cifar-tui snapshot RUN [--svg F | --text]`.

The app runs headless (Textual's headless driver: no TTY read or written) on the run's monitor,
waits until what the view loads in workers is on screen (the run's events, the curves, the first
GPU/CPU reading), then exports the screen as SVG (Textual's `export_screenshot`) or as plain text
(the same compositor output printed to a recording Rich console).
"""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from cifar_tui.ui.common.textual_internals import screen_render

__all__ = [
    "Snapshot",
    "render_run_monitor",
    "screen_loaded",
    "screen_text",
]

POLL_SECONDS = 0.02
"""How often the loaded state and the screen are looked at while waiting."""
STILL_POLLS = 2
"""Polls in a row with the same screen after loading: the layout that follows has landed."""


@dataclass(frozen=True)
class Snapshot:
    """One headless render of a run's monitor."""

    svg: str
    text: str
    seconds: float
    """From the app's start to the export."""


def screen_text(app: App[Any]) -> str:
    """The current screen as plain text: one line per row, no styles, trailing blanks cut."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(screen_render(app))
    lines = [line.rstrip() for line in console.export_text(styles=False).splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def screen_loaded(app: App[Any]) -> bool:
    """Whether the current screen shows what its workers load: the run's events (all those in the
    file when it was opened), the curves drawn from them, and a first GPU/CPU reading."""
    from cifar_tui.ui.common.gpu_pane import GpuPane
    from cifar_tui.ui.monitor.curves_pane import CurvesPane
    from cifar_tui.ui.monitor.run_monitor import RunMonitor

    screen = app.screen
    return (
        all(pane.status is not None for pane in screen.query(GpuPane))
        and all(monitor.run is None or monitor.loaded for monitor in screen.query(RunMonitor))
        and all(curves.settled for curves in screen.query(CurvesPane))
    )


async def _until_drawn(pilot: Pilot[Any], timeout: float) -> None:
    """Pause until the screen is loaded and then unchanged over STILL_POLLS polls."""
    deadline = time.monotonic() + timeout
    previous, still = None, 0
    while time.monotonic() < deadline:
        await pilot.pause(POLL_SECONDS)
        if not screen_loaded(pilot.app):
            continue
        current = screen_text(pilot.app)
        still = still + 1 if current == previous else 0
        if still >= STILL_POLLS:
            return
        previous = current
    # Drawn as far as it got (a huge events file still loading): the export says what it shows.


async def _render(app: App[Any], size: tuple[int, int], title: str, timeout: float) -> Snapshot:
    started = time.monotonic()
    async with app.run_test(size=size, notifications=False, tooltips=False) as pilot:
        await _until_drawn(pilot, timeout)
        svg = app.export_screenshot(title=title)
        text = screen_text(app)
    return Snapshot(svg=svg, text=text, seconds=time.monotonic() - started)


def render_run_monitor(
    app: App[Any], size: tuple[int, int] = (120, 40), timeout: float = 30.0
) -> Snapshot:
    """Run `app` (built on a run's monitor) headless and export what it shows.

    The caller builds the app (commands/snapshot.py: views never import the app module).

    Args:
        app: the app, started on the monitor of one run.
        size: columns and rows of the screen drawn.
        timeout: the most seconds to wait for the run's events to be drawn.

    Returns:
        The SVG, the text and the time it took.
    """
    run = getattr(app, "current_run", None)
    title = f"cifar-tui: {run.name}" if run is not None else "cifar-tui"
    return asyncio.run(_render(app, size, title, timeout))
