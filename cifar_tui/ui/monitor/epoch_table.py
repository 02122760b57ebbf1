"""A table of per-epoch metrics with the best validation accuracy so far marked."""

from __future__ import annotations

from rich.text import Text

from cifar_tui.core.rundir.event_types import EpochEnded
from cifar_tui.core.rundir.runs_table import format_percent
from cifar_tui.ui.common.steady_table import SteadyTable

BEST = "★"
"""Marks the epoch with the best validation accuracy (a shape, so it reads without colour)."""
NEW_BEST = "▲"
"""Marks an earlier epoch that was the best so far when it ended."""

COLUMNS = (
    ("epoch", "epoch", 5),
    ("loss", "loss", 7),
    ("accuracy", "acc", 7),
    ("val_loss", "val loss", 8),
    ("val_accuracy", "val acc", 7),
    ("learning_rate", "lr", 8),
    ("seconds", "time", 6),
    ("images_per_second", "img/s", 7),
)
"""(EpochEnded field, header, width): fixed widths, so rows never re-lay the table out as they
arrive."""


def _cell(key: str, event: EpochEnded) -> str:
    value: float | None = getattr(event, key)
    if value is None:
        return "-"
    if key == "epoch":
        return str(int(value))
    if key in ("accuracy", "val_accuracy"):
        return format_percent(value, digits=2)
    if key == "learning_rate":
        return f"{value:.3g}"
    if key == "seconds":
        return f"{value:.0f}s"
    if key == "images_per_second":
        return f"{value:,.0f}"
    return f"{value:.4f}"


class EpochTable(SteadyTable):
    """One row per epoch_ended event; a repeated epoch number (a resume) replaces the tail."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=True)
        self._events: list[EpochEnded] = []
        self._best_epoch: int | None = None
        self._best_value: float | None = None

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(Text(label, justify="right"), key=key, width=width)
        self.add_column("", key="mark", width=1)

    @property
    def best_epoch(self) -> int | None:
        """The epoch with the highest validation accuracy so far (None before the first)."""
        return self._best_epoch

    @property
    def best_value(self) -> float | None:
        """The highest validation accuracy so far, a fraction (None before the first)."""
        return self._best_value

    def reset(self) -> None:
        """Empty the table (another run is shown now)."""
        self._events = []
        self._best_epoch = self._best_value = None
        self.clear()

    def truncate(self, last_epoch: int) -> None:
        """Drop rows after `last_epoch`."""
        kept = [event for event in self._events if event.epoch <= last_epoch]
        if len(kept) != len(self._events):
            self.reset()
            for event in kept:
                self.add_epoch(event)

    def add_epoch(self, event: EpochEnded) -> None:
        """Add a row for an epoch_ended event and move the best mark if it beat the best."""
        epoch = event.epoch
        self.truncate(epoch - 1)
        at_end = self.row_count == 0 or self.cursor_row >= self.row_count - 1
        self._events.append(event)
        value = event.val_accuracy
        is_best = value is not None and (self._best_value is None or value > self._best_value)
        cells: list[str | Text] = [
            Text(_cell(key, event), justify="right") for key, _, _ in COLUMNS
        ]
        self.add_row(*cells, Text(BEST if is_best else ""), key=str(epoch))
        if is_best:
            if self._best_epoch is not None:
                self._mark(self._best_epoch, NEW_BEST, bold=False)
            self._best_epoch, self._best_value = epoch, value
            self._mark(epoch, BEST, bold=True)
        if at_end:  # follow new rows unless the user scrolled up to read old ones
            self.move_cursor(row=self.row_count - 1, animate=False)

    def _mark(self, epoch: int, mark: str, bold: bool) -> None:
        style = "bold" if bold else ""
        text = Text(self._val_text(epoch), style=style, justify="right")
        self.update_cell(str(epoch), "val_accuracy", text)
        self.update_cell(str(epoch), "mark", Text(mark, style=style))

    def _val_text(self, epoch: int) -> str:
        event = next(event for event in self._events if event.epoch == epoch)
        return _cell("val_accuracy", event)
