"""How a run's status looks wherever the UI shows it: one shape and one colour per status.

The shape makes the status read without colour (NO_COLOR); the colour is the same in the runs
list and the monitor's title.
"""

from __future__ import annotations

STATUS_MARKS = {
    "running": "●",
    "starting": "◌",
    "finished": "✓",
    "stopped": "■",
    "failed": "✗",
    "interrupted": "!",
    "created": "○",
    "queued": "…",
}

STATUS_COLOURS = {
    "running": "green",
    "starting": "green",
    "finished": "cyan",
    "failed": "red",
    "stopped": "yellow",
    "interrupted": "yellow",
}

LOUD_STATUSES = frozenset({"running", "failed"})
"""Statuses the runs list shows in bold: the ones that ask for a look."""


def status_style(status: str) -> str:
    """The Rich style of `status` in a list of runs ("" for statuses with no colour)."""
    colour = STATUS_COLOURS.get(status, "")
    return f"bold {colour}" if colour and status in LOUD_STATUSES else colour
