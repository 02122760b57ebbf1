"""Read what the comparison view shows of each run: curves, settings, per-class accuracy.

Runs in the view's worker thread; nothing here raises for a missing or broken file: a run
without events has no curves, one without predictions.npz a one-line note instead.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib

from cifar_tui.core.analysis.compare import METRICS, RunCurves
from cifar_tui.core.analysis.predictions import comparable, confusion_matrix, per_class_accuracy
from cifar_tui.core.config import DEFAULT_PRESET
from cifar_tui.core.errors import UserError
from cifar_tui.core.presets import preset
from cifar_tui.core.rundir.artifacts import Predictions, load_predictions
from cifar_tui.core.rundir.event_types import EpochEnded, RunStarted
from cifar_tui.core.rundir.events import read_events
from cifar_tui.core.rundir.folder import RunFolder


def read_config(run: RunFolder) -> dict[str, Any]:
    """config.toml as a dict ({} when missing or not TOML)."""
    try:
        return tomllib.loads(run.config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def with_preset_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """`config` with the keys it leaves out taken from its preset, as training reads it: a run
    from before a field existed then compares equal on it, not as missing against the default."""
    try:
        defaults = dataclasses.asdict(preset(str(config.get("preset", DEFAULT_PRESET))))
    except UserError:  # a preset this version does not know
        return config
    return {**defaults, **config}


def read_curves(run: RunFolder) -> RunCurves:
    """The run's epochs (a resumed epoch replaces the old one) and its settings."""
    try:
        events = read_events(run.events_path, latest_batch_only=True)
    except OSError:
        events = []
    config = read_config(run)
    if not config:
        started = next((event for event in events if isinstance(event, RunStarted)), None)
        config = dict(getattr(started, "config", None) or {})
    if config:
        config = with_preset_defaults(config)
    by_epoch: dict[int, EpochEnded] = {}
    for event in events:
        if isinstance(event, EpochEnded):
            for later in [epoch for epoch in by_epoch if epoch >= event.epoch]:
                del by_epoch[later]  # a resume restarts from its checkpoint
            by_epoch[event.epoch] = event
    epochs = sorted(by_epoch)
    elapsed, total = [], 0.0
    for epoch in epochs:
        total += by_epoch[epoch].seconds or 0.0
        elapsed.append(total)
    metrics = {
        name: [getattr(by_epoch[epoch], name) for epoch in epochs]
        for name in (*METRICS, "accuracy")
    }
    return RunCurves(run.name, config, epochs, elapsed, metrics)


@dataclass(frozen=True)
class ClassComparison:
    """Two runs' accuracy on each true class, or why there is none."""

    names: tuple[str, str]
    a: np.ndarray | None = field(default=None, compare=False)
    """(C,) accuracy of the first run per class (NaN: no images of that class)."""
    b: np.ndarray | None = field(default=None, compare=False)
    note: str | None = None

    @property
    def difference(self) -> np.ndarray | None:
        """(C,) b - a: positive where the second run does better."""
        return None if self.a is None or self.b is None else self.b - self.a


def compare_classes(
    names: tuple[str, str],
    a: Predictions | None,
    b: Predictions | None,
    classes: int = 10,
) -> ClassComparison:
    """Per-class accuracy of two runs from their predictions, if of the same test set."""
    if a is None or b is None:
        missing = names[0] if a is None else names[1]
        return ClassComparison(names, note=f"{missing} has no predictions.npz yet")
    reason = comparable(a, b)
    if reason is not None:
        return ClassComparison(names, note=reason)
    accuracy = [
        per_class_accuracy(confusion_matrix(p.labels, p.predicted, classes)) for p in (a, b)
    ]
    return ClassComparison(names, accuracy[0], accuracy[1])


def read_predictions(run: RunFolder) -> tuple[Predictions | None, str | None]:
    """(predictions, None) or (None, one line why not)."""
    try:
        return load_predictions(run.predictions_path), None
    except UserError as error:
        return None, str(error)


@dataclass(frozen=True, eq=False)
class ComparisonData:
    """What the comparison view shows, read in one go."""

    runs: list[RunCurves]
    classes: ClassComparison | None
    """Of runs A and B (None with fewer than two runs)."""


def read_comparison(
    folders: Sequence[RunFolder],
    classes: int = 10,
    pair: tuple[RunFolder, RunFolder] | None = None,
) -> ComparisonData:
    """Curves and settings of every run, per-class accuracy of `pair` (A, B; by default the
    first two folders)."""
    runs = [read_curves(folder) for folder in folders]
    if pair is None and len(folders) >= 2:
        pair = (folders[0], folders[1])
    comparison = None
    if pair is not None:
        (a, _), (b, _) = (read_predictions(folder) for folder in pair)
        comparison = compare_classes((pair[0].name, pair[1].name), a, b, classes)
    return ComparisonData(runs, comparison)
