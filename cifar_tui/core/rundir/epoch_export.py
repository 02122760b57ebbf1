"""A run's epochs as a table of numbers: `cifar-tui export RUN --csv` and `--tensorboard`.

One row per epoch from the typed `epoch_ended` events, as the monitor's epoch table has them: a
resume (`run_started` with `initial_epoch` k) drops the epochs after k that the earlier segment
wrote, and a repeated epoch is the latest segment's. Every number an epoch carries is a column:
the declared metrics, the device readings (`device_*`) and a newer trainer's numeric fields kept
in `extra`. A value the event lacks (or wrote as NaN, which the reader turns into None) is None.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cifar_tui.core.rundir.device_use import DeviceUse
from cifar_tui.core.rundir.event_types import EpochEnded, Event, RunStarted

__all__ = ["METRIC_COLUMNS", "EpochRows", "epoch_csv_text", "epoch_rows"]

METRIC_COLUMNS = (
    "epoch",
    "loss",
    "accuracy",
    "val_loss",
    "val_accuracy",
    "test_accuracy",
    "learning_rate",
    "seconds",
    "train_seconds",
    "images_per_second",
    "first_batch_seconds",
    "partial",
    "epochs",
    "time",
)
"""Always in the table, in this order (`partial` is 1 or 0: the epoch started mid-way)."""

DEVICE_COLUMNS = (
    ("device_util_mean", "util_mean"),
    ("device_util_peak", "util_peak"),
    ("device_memory_mean", "memory_mean"),
    ("device_memory_peak", "memory_peak"),
    ("device_memory_total", "memory_total"),
    ("device_samples", "samples"),
    ("device_missing", "missing"),
)
"""(column, DeviceUse field): present when any epoch has device readings."""

Number = int | float


@dataclass(frozen=True)
class EpochRows:
    """Columns and one row per epoch (epoch order); a cell is a number or None."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Number | None, ...], ...]

    def column(self, name: str) -> list[Number | None]:
        """Every row's value of `name`."""
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


def _number(value: Any) -> Number | None:
    """A finite int or float (bools and NaN are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def _declared(event: EpochEnded) -> dict[str, Number | None]:
    values: dict[str, Number | None] = {
        name: _number(getattr(event, name)) for name in METRIC_COLUMNS if name != "partial"
    }
    values["partial"] = None if event.partial is None else int(event.partial)
    return values


def _device(use: DeviceUse | None) -> dict[str, Number | None]:
    if use is None:
        return {}
    return {column: _number(getattr(use, field)) for column, field in DEVICE_COLUMNS}


def _extra(extra: Mapping[str, Any]) -> dict[str, Number | None]:
    """A newer trainer's top-level numbers (tables and texts are left out)."""
    taken = set(METRIC_COLUMNS) | {"device_use"}
    return {
        key: _number(value)
        for key, value in extra.items()
        if key not in taken and _number(value) is not None
    }


def latest_epochs(events: Sequence[Event]) -> list[EpochEnded]:
    """The epoch_ended events that stand, one per epoch in epoch order (see the module doc)."""
    by_epoch: dict[int, EpochEnded] = {}
    for event in events:
        if isinstance(event, RunStarted) and event.initial_epoch is not None:
            by_epoch = {epoch: e for epoch, e in by_epoch.items() if epoch <= event.initial_epoch}
        elif isinstance(event, EpochEnded):
            by_epoch[event.epoch] = event
    return [by_epoch[epoch] for epoch in sorted(by_epoch)]


def epoch_rows(events: Sequence[Event]) -> EpochRows:
    """The run's epochs as a table (columns: METRIC_COLUMNS, then device, then extra ones).

    Args:
        events: the run's events in file order (read_events).

    Returns:
        The table; no rows for a run that has not ended an epoch yet.
    """
    records = []
    device_seen = False
    extra_columns: dict[str, None] = {}
    for event in latest_epochs(events):
        record = {**_declared(event), **_device(event.device_use)}
        device_seen = device_seen or event.device_use is not None
        extra = _extra(event.extra)
        extra_columns.update(dict.fromkeys(sorted(extra)))
        records.append({**record, **extra})
    columns = (
        *METRIC_COLUMNS,
        *((column for column, _ in DEVICE_COLUMNS) if device_seen else ()),
        *(name for name in extra_columns if name not in METRIC_COLUMNS),
    )
    return EpochRows(
        tuple(columns), tuple(tuple(record.get(c) for c in columns) for record in records)
    )


def _cell(value: Number | None) -> str:
    """Empty for no value; repr keeps every digit of a float (0.1 stays 0.1)."""
    return "" if value is None else repr(value)


def epoch_csv_text(events: Sequence[Event]) -> str:
    """The epoch table as CSV: a header row, then one row per epoch (no value: an empty cell)."""
    table = epoch_rows(events)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    writer.writerows([_cell(value) for value in row] for row in table.rows)
    return out.getvalue()
