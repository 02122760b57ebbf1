"""Showing run summaries as text: percentages, times, and the `cifar-tui runs` table and JSON."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from cifar_tui.core.rundir.events import json_safe
from cifar_tui.core.rundir.summary import RunSummary

__all__ = ["format_percent", "format_runs_table", "format_when", "runs_as_json"]


def format_percent(fraction: float | None, digits: int = 1) -> str:
    """A fraction as a percentage with `digits` decimals, e.g. "87.3%"; "-" when unknown."""
    return "-" if fraction is None else f"{100 * fraction:.{digits}f}%"


def format_when(timestamp: float | None) -> str:
    """Absolute local time to the minute, e.g. "2026-11-25 21:05"; "-" when unknown.

    Never "5 min ago": a list stays the same from one frame to the next.
    """
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def format_runs_table(runs: list[RunSummary]) -> str:
    """A plain-text table for `cifar-tui runs`: columns aligned, no colour, no trailing spaces.

    Args:
        runs: the summaries, in the order to show.

    Returns:
        The table (header first, no final newline), or "no runs yet" for an empty list.
    """
    if not runs:
        return "no runs yet"
    rows = [("run", "status", "epochs", "best val acc", "test acc", "updated")]
    for run in runs:
        total = "?" if run.epochs_total is None else str(run.epochs_total)
        rows.append(
            (
                run.name,
                run.status,
                f"{run.epochs_done}/{total}",
                format_percent(run.best_val_accuracy),
                format_percent(run.test_accuracy),
                format_when(run.updated),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    right = {2, 3, 4}  # numbers read best right-aligned
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if column in right else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def runs_as_json(runs: list[RunSummary]) -> list[dict[str, Any]]:
    """The summaries as JSON-ready dicts (`cifar-tui runs --json`): paths as strings, tuples lists.

    Args:
        runs: the summaries.

    Returns:
        One dict per run with every RunSummary field.
    """
    return [json_safe({**dataclasses.asdict(run), "path": str(run.path)}) for run in runs]
