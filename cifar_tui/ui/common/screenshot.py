"""The app's screenshot key: the current screen as an SVG file, written atomically."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from textual.app import App

from cifar_tui.core.rundir.atomic import atomic_write_text

__all__ = ["save_screen_svg", "screenshot_name"]


def screenshot_name(now: datetime | None = None) -> str:
    """`screenshot-2026-12-04_230501.svg`: sorts by time, nothing a shell must quote."""
    return f"screenshot-{(now or datetime.now()).strftime('%Y-%m-%d_%H%M%S')}.svg"


def save_screen_svg(app: App[Any], folder: Path, now: datetime | None = None) -> Path:
    """Write `app`'s current screen as an SVG into `folder` (created if missing); the file.

    Two saves within one second would share a name: the later one gets "-2", "-3"...
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = screenshot_name(now)
    path, count = folder / name, 1
    while path.exists():
        count += 1
        path = folder / name.replace(".svg", f"-{count}.svg")
    atomic_write_text(path, app.export_screenshot())
    return path


class ScreenshotKey:
    """The app's screenshot action, mixed into CifarApp (which binds ctrl+p to it)."""

    def action_save_screenshot(self: Any) -> None:
        """Save the screen as SVG into the open run's folder (no run: the models folder), and
        say where in a notification."""
        folder = self.current_run.path if self.current_run is not None else self.models_dir
        try:
            path = save_screen_svg(self, folder)
        except OSError as error:
            self.notify(f"Could not save a screenshot in {folder}: {error}", severity="error")
            return
        self.notify(f"Screenshot saved: {path}")
