"""Runs side by side, as plain data: curves by epoch or time, seed groups, differing settings.

Pure Python over RunCurves (what compare_data reads from each run folder). The comparison view
draws what `curve_lines` returns and tables what `differing_fields` and `run_stats` return.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

METRICS = ("val_accuracy", "val_loss", "loss", "learning_rate")
"""What the comparison plots, in the order its key cycles through them."""

METRIC_TITLES = {
    "val_accuracy": "validation accuracy",
    "val_loss": "validation loss",
    "loss": "training loss",
    "learning_rate": "learning rate",
}

GROUPED_OUT = ("seed",)
"""Config fields that do not separate runs into groups: runs differing only there are averaged."""

EMA_WEIGHT = 0.6
"""Smoothing's weight of the past: s[i] = w * s[i-1] + (1 - w) * v[i] (TensorBoard's slider)."""


@dataclass(frozen=True)
class RunCurves:
    """One run's per-epoch numbers and its settings."""

    name: str
    config: dict[str, Any] = field(default_factory=dict)
    epochs: list[int] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    """Seconds of training up to the end of each epoch (the sum of the epochs' times)."""
    metrics: dict[str, list[float | None]] = field(default_factory=dict)
    """Each of METRICS (and "accuracy"): one value or None per epoch."""


@dataclass(frozen=True)
class Line:
    """A curve of one run, or of a seed group's mean with its min and max (the band)."""

    label: str
    x: list[float]
    y: list[float]
    low: list[float] | None = None
    high: list[float] | None = None
    runs: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunStats:
    """A run's headline numbers for the comparison table."""

    best: float | None
    """Best validation accuracy (fraction)."""
    final: float | None
    best_epoch: int | None
    seconds: float | None


def ema(values: Sequence[float], weight: float = EMA_WEIGHT) -> list[float]:
    """Exponential moving average, starting at the first value (no warm-up bias)."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"EMA weight must be in [0, 1), got {weight}")
    smoothed: list[float] = []
    for value in values:
        smoothed.append(value if not smoothed else weight * smoothed[-1] + (1 - weight) * value)
    return smoothed


def points(run: RunCurves, metric: str, by_time: bool = False) -> tuple[list[float], list[float]]:
    """(x, y) of `metric` where it has a finite value; x is the epoch or minutes of training."""
    values = run.metrics.get(metric, [])
    xs = run.elapsed if by_time else run.epochs
    pairs = [
        (float(x) / 60.0 if by_time else float(x), float(value))
        for x, value in zip(xs, values, strict=False)
        if value is not None and math.isfinite(value)
    ]
    return [x for x, _ in pairs], [y for _, y in pairs]


def group_key(config: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """What separates a run from another: its settings less GROUPED_OUT."""
    return tuple(sorted((key, repr(value)) for key, value in config.items()
                        if key not in GROUPED_OUT))  # fmt: skip


def seed_groups(runs: Sequence[RunCurves]) -> list[list[RunCurves]]:
    """Runs that differ only by seed, together; groups in the order of their first run."""
    groups: dict[tuple[tuple[str, str], ...], list[RunCurves]] = {}
    for run in runs:
        groups.setdefault(group_key(run.config), []).append(run)
    return list(groups.values())


def plot_groups(runs: Sequence[RunCurves]) -> list[list[RunCurves]]:
    """What each line of the plot stands for: seed groups, unless every run is in one group
    (seeds compared with each other: each its own line)."""
    groups = seed_groups(runs)
    return [[run] for run in runs] if len(groups) == 1 else groups


def band(
    members: Sequence[RunCurves], metric: str, by_time: bool = False
) -> tuple[list[float], list[float], list[float], list[float]]:
    """(x, mean, min, max) over the epochs where every member has a value.

    x is the epoch, or by time the members' mean minutes of training at that epoch.
    """
    per_run: list[dict[int, tuple[float, float]]] = []
    for run in members:
        xs = run.elapsed if by_time else [float(epoch) for epoch in run.epochs]
        values = run.metrics.get(metric, [])
        per_run.append({
            epoch: (float(x), float(value))
            for epoch, x, value in zip(run.epochs, xs, values, strict=False)
            if value is not None and math.isfinite(value)
        })  # fmt: skip
    common = sorted(set.intersection(*(set(found) for found in per_run))) if per_run else []
    x: list[float] = []
    mean: list[float] = []
    low: list[float] = []
    high: list[float] = []
    for epoch in common:
        ys = [found[epoch][1] for found in per_run]
        where = sum(found[epoch][0] for found in per_run) / len(per_run)
        x.append(where / 60.0 if by_time else where)
        mean.append(sum(ys) / len(ys))
        low.append(min(ys))
        high.append(max(ys))
    return x, mean, low, high


def curve_lines(
    runs: Sequence[RunCurves], metric: str, by_time: bool = False, smooth: bool = False
) -> list[Line]:
    """One line per group of `plot_groups` (a mean and band for several), smoothed if asked."""
    lines = []
    labels = group_labels(runs)
    for group in plot_groups(runs):
        names = tuple(run.name for run in group)
        label = labels[names[0]]
        if len(group) == 1:
            x, y = points(group[0], metric, by_time)
            low = high = None
        else:
            x, y, low_values, high_values = band(group, metric, by_time)
            low, high = low_values, high_values
            label = seedless_label([labels[name] for name in names]) or seedless_label(list(names))
            label = label or labels[names[0]]
            label += f" (mean of {len(group)} seeds)"
        if smooth:
            y = ema(y)
            low, high = (None if low is None else ema(low)), (None if high is None else ema(high))
        lines.append(Line(label, x, y, low, high, names))
    return lines


def differing_fields(configs: Sequence[dict[str, Any]]) -> list[str]:
    """The settings whose values are not all the same (missing counts as a value), sorted."""
    keys = sorted({key for config in configs for key in config})
    missing = object()
    return [key for key in keys if len({repr(config.get(key, missing)) for config in configs}) > 1]


DATED_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}_\d{4}_(.+)$")
"""A run name as new_run_name makes it: local date and time, then the label."""


def group_labels(runs: Sequence[RunCurves]) -> dict[str, str]:
    """A short label per run: its name less its date and time, else less the common prefix.

    "2026-11-25_1915_lr0.1-seed0" reads "lr0.1-seed0" when no other run has that label.
    """
    names = [run.name for run in runs]
    if len(names) < 2:
        return {name: name for name in names}
    dated = [DATED_NAME.match(name) for name in names]
    labels = [match.group(1) for match in dated if match]
    if len(labels) == len(names) and len(set(labels)) == len(labels):
        return dict(zip(names, labels, strict=True))
    prefix = _common_prefix(names)
    cut = max(prefix.rfind("_"), prefix.rfind("-")) + 1 if prefix else 0
    return {name: name[cut:] or name for name in names}


def seedless_label(labels: list[str]) -> str:
    """A seed group's label: what its runs' labels share, less a trailing "-seed" ("" if none)."""
    return re.sub(r"[-_.]*(seed\d*)?[-_.]*$", "", _common_prefix(labels))


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b),
                min(len(first), len(last)))  # fmt: skip
    return first[:size]


def run_stats(run: RunCurves) -> RunStats:
    """Best and final validation accuracy, the epoch of the best, and the training time."""
    pairs = [
        (epoch, value)
        for epoch, value in zip(run.epochs, run.metrics.get("val_accuracy", []), strict=False)
        if value is not None and math.isfinite(value)
    ]
    if not pairs:
        seconds = run.elapsed[-1] if run.elapsed else None
        return RunStats(None, None, None, seconds)
    best_epoch, best = max(pairs, key=lambda pair: (pair[1], -pair[0]))  # first of equal bests
    return RunStats(best, pairs[-1][1], best_epoch, run.elapsed[-1] if run.elapsed else None)


SORT_COLUMNS = ("name", "best", "final", "best_epoch", "seconds")
"""What the table's sort key cycles through; settings columns follow these."""


def sort_runs(runs: Sequence[RunCurves], column: str) -> list[RunCurves]:
    """Runs ordered by a stats column (best first, fastest first) or a setting; None last."""
    if column == "name":
        return sorted(runs, key=lambda run: run.name)
    descending = column in ("best", "final")

    def key(run: RunCurves) -> tuple[int, int, Any]:
        if column in SORT_COLUMNS:
            value = getattr(run_stats(run), column)
        else:
            value = run.config.get(column)
        if value is None:
            return (1, 0, 0)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (0, 0, -value if descending else value)
        return (0, 1, repr(value))

    return sorted(runs, key=key)
