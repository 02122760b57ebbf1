"""Epoch and step progress bars with the ETA and the training speed."""

from __future__ import annotations

import statistics

from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from cifar_tui.core.rundir.event_types import Batch, EpochEnded, RunStarted
from cifar_tui.ui.common.formatting import format_duration

DONE, LEFT = "█", "░"
"""Bar cells; two shapes, so the bar reads with NO_COLOR too."""


def bar(fraction: float, width: int) -> str:
    """A `width`-cell bar, `fraction` (clamped to 0..1) of it filled."""
    width = max(width, 0)
    filled = round(min(max(fraction, 0.0), 1.0) * width)
    return DONE * filled + LEFT * (width - filled)


class ProgressPanel(Widget):
    """Two lines: the epoch bar with the ETA, and the step bar with images per second."""

    DEFAULT_CSS = """
    ProgressPanel { height: 2; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.reset()

    def reset(self) -> None:
        """Forget everything (another run is shown now)."""
        self.epochs_total: int | None = None
        self.epochs_done = 0
        self.epoch: int | None = None
        """The epoch in progress (1-based), from the latest batch event; None between epochs."""
        self.step = 0
        self.steps: int | None = None
        self.images_per_second: float | None = None
        self.epoch_seconds: list[float] = []
        self._epoch_batches: list[tuple[float, int]] = []
        """(event time, step) of the first and the latest batch event of the epoch in progress."""
        self.active = False
        """Whether a trainer is running; the ETA shows only then."""
        self.refresh()

    def started(self, event: RunStarted) -> None:
        """A run_started event: totals, and where a resume starts."""
        self.epochs_total = event.epochs or self.epochs_total
        self.steps = event.steps_per_epoch or self.steps
        self.epochs_done = event.initial_epoch or 0
        self.epoch, self.step = None, event.initial_step or 0
        self.refresh()

    def batch_progress(self, event: Batch) -> None:
        """A batch event: where the epoch in progress stands (not `batch`: Widget.batch is
        Textual's context manager for batched updates)."""
        epoch = event.epoch or self.epoch
        if epoch != self.epoch:
            self._epoch_batches = []
        self.epoch = epoch
        self.step = event.step or 0
        if event.time is not None:
            # The events' own times, not arrival: a reopened app replays a whole epoch at once.
            self._epoch_batches = [*self._epoch_batches[:1], (event.time, self.step)]
        self.steps = event.steps or self.steps
        if event.images_per_second is not None:
            self.images_per_second = event.images_per_second
        self.refresh()

    def epoch_ended(self, event: EpochEnded) -> None:
        """An epoch_ended event."""
        self.epochs_done = event.epoch or self.epochs_done
        self.epochs_total = event.epochs or self.epochs_total
        self.epoch, self.step = None, self.steps or 0  # the step bar stays full until the next
        seconds = event.seconds
        if seconds is not None and seconds >= 0 and not event.partial:
            self.epoch_seconds.append(seconds)
        if event.images_per_second is not None:
            self.images_per_second = event.images_per_second
        self.refresh()

    def set_active(self, active: bool) -> None:
        """Whether a trainer is running now."""
        self.active = active
        self.refresh()

    def eta_seconds(self) -> float | None:
        """Seconds left: remaining epochs times the median of the last five epochs' times, so
        that one stalled epoch (a suspended trainer, a busy machine) does not skew it (None if
        unknown).

        Before the first epoch ends, the epoch time is estimated from the step rate seen so far
        (`eta_is_rough`): it leaves out the per-epoch evaluation, so it runs a little short.
        """
        if not self.active or self.epochs_total is None:
            return None
        current = self.step / self.steps if self.steps and self.epoch else 0.0
        remaining = max(self.epochs_total - self.epochs_done - current, 0.0)
        if self.epoch_seconds:
            return remaining * statistics.median(self.epoch_seconds[-5:])
        step_seconds = self._step_seconds()
        if step_seconds is None or not self.steps:
            return None
        return remaining * step_seconds * self.steps

    @property
    def eta_is_rough(self) -> bool:
        """The ETA comes from the step rate of an unfinished first epoch."""
        return not self.epoch_seconds and self.eta_seconds() is not None

    def _step_seconds(self) -> float | None:
        if len(self._epoch_batches) < 2:
            return None
        (first_time, first_step), (last_time, last_step) = self._epoch_batches
        if last_step <= first_step or last_time <= first_time:
            return None
        return (last_time - first_time) / (last_step - first_step)

    def render(self) -> Table:
        total = self.epochs_total
        in_epoch = min(self.step / self.steps, 1.0) if self.steps else 0.0
        done = self.epochs_done + (in_epoch if self.epoch else 0.0)
        epoch_fraction = done / total if total else 0.0
        eta = self.eta_seconds()
        speed = "-" if self.images_per_second is None else f"{self.images_per_second:,.0f}"
        width = max(self.size.width - 14 - 24, 4)
        table = Table.grid(padding=(0, 1))
        table.add_column(width=12, no_wrap=True)
        table.add_column(width=width, no_wrap=True)
        table.add_column(no_wrap=True)
        epoch_label = f"{self.epochs_done}/{total if total else '?'}"
        step_label = f"{self.step}/{self.steps if self.steps else '?'}"
        table.add_row(
            Text(f"Epoch {epoch_label:>6}"),
            Text(bar(epoch_fraction, width), style="bold"),
            Text(
                f"{100 * epoch_fraction:3.0f}%  ETA {'~' if self.eta_is_rough else ''}"
                f"{format_duration(eta)}"
            ),  # fmt: skip
        )
        table.add_row(
            Text(f"Step {step_label:>7}"),
            Text(bar(in_epoch, width)),
            Text(f"{100 * in_epoch:3.0f}%  {speed} img/s"),
        )
        return table
