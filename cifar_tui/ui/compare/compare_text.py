"""The comparison's text: the runs table's rows and the per-class table (Rich, no widgets)."""

from __future__ import annotations

import math
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from cifar_tui.core.analysis.compare import RunCurves, run_stats
from cifar_tui.core.analysis.compare_data import ClassComparison
from cifar_tui.core.rundir.runs_table import format_percent
from cifar_tui.ui.common.formatting import format_duration

STATS_COLUMNS = (("name", "run"), ("best", "best"), ("final", "final"),
                 ("best_epoch", "@epoch"), ("seconds", "time"))  # fmt: skip
"""(sort key, header) of the table's first columns; the differing settings follow."""


def format_setting(value: Any) -> str:
    """A config value as the table shows it: lists joined, floats short, missing as "-"."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ",".join(format_setting(item) for item in value)
    return str(value)


def stats_cells(run: RunCurves, label: Text, fields: list[str]) -> list[str | Text]:
    """One row of the runs table: label, best, final, epoch of best, time, then `fields`."""
    stats = run_stats(run)
    epoch = "-" if stats.best_epoch is None else str(stats.best_epoch)
    return [
        label,
        format_percent(stats.best, digits=2),
        format_percent(stats.final, digits=2),
        epoch,
        format_duration(stats.seconds),
        *(format_setting(run.config.get(name)) for name in fields),
    ]


def header(label: str, key: str, sort: str) -> Text:
    """A column header, with ▼ on the one the rows are sorted by."""
    return Text(f"{label} ▼" if key == sort else label, style="bold" if key == sort else "")


def classes_table(comparison: ClassComparison | None, class_names: tuple[str, ...]) -> Group | Text:
    """Per-class accuracy of runs A and B side by side, with B - A (green: B better)."""
    if comparison is None:
        return Text("Per-class accuracy needs two runs.", style="dim")
    a_name, b_name = comparison.names
    intro = Text.assemble(("A ", "bold"), a_name, "\n", ("B ", "bold"), b_name)
    intro.no_wrap, intro.overflow = True, "ellipsis"
    difference = comparison.difference
    if comparison.a is None or comparison.b is None or difference is None:
        return Text.assemble(intro, "\n", (comparison.note or "no predictions", "yellow"))
    table = Table(box=None, padding=(0, 1), show_edge=False, pad_edge=False)
    table.add_column("class", no_wrap=True)
    for column in ("A", "B", "B-A"):
        table.add_column(column, justify="right", no_wrap=True)
    for index, name in enumerate(class_names[: len(comparison.a)]):
        delta = float(difference[index])
        if math.isnan(delta):
            change = Text("-")
        else:
            sign = "+" if delta > 0 else ""
            style = "green" if delta > 0 else "red" if delta < 0 else ""
            # The sign carries the meaning without colour (NO_COLOR, 256 colours).
            change = Text(f"{sign}{100 * delta:.1f}", style=style)
        table.add_row(name, _percent(comparison.a[index]), _percent(comparison.b[index]), change)
    return Group(intro, table)


def _percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.1f}"
