"""What the curves show, as plain data: the per-epoch history and the figure of each plot.

No Textual here: CurvesPane keeps a History and hands each CurvePlot the Figure `figures` makes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cifar_tui.core.rundir.event_types import EpochEnded
from cifar_tui.ui.common.formatting import format_bytes

METRICS = ("loss", "val_loss", "accuracy", "val_accuracy", "learning_rate")
"""EpochEnded's fields the curves plot, one list each in History."""

DEVICE_FIELDS = ("util_mean", "util_peak", "memory_peak", "memory_total")
"""DeviceUse's fields the device plot shows (`device_kind` is kept beside them)."""

PERCENT_RANGE = (0.0, 100.0)
"""The device plot's y axis: always 0 to 100 %, so a starved GPU's 30 % reads as low."""


@dataclass
class History:
    """The per-epoch numbers the curves are declared from; grows only in `add`."""

    epochs: list[int] = field(default_factory=list)
    loss: list[float | None] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    learning_rate: list[float | None] = field(default_factory=list)
    device_kind: list[str | None] = field(default_factory=list)
    """"gpu" or "cpu" (the epoch's device_use), None for an epoch without readings."""
    util_mean: list[float | None] = field(default_factory=list)
    util_peak: list[float | None] = field(default_factory=list)
    memory_peak: list[float | None] = field(default_factory=list)
    memory_total: list[float | None] = field(default_factory=list)

    def add(self, event: EpochEnded) -> None:
        """Append an epoch_ended event; a repeated epoch (after a resume) replaces its tail."""
        self.truncate(event.epoch - 1)
        self.epochs.append(event.epoch)
        for name in METRICS:
            getattr(self, name).append(getattr(event, name))
        use = event.device_use
        self.device_kind.append(use.kind if use is not None else None)
        for name in DEVICE_FIELDS:
            getattr(self, name).append(getattr(use, name) if use is not None else None)

    def truncate(self, last_epoch: int) -> None:
        """Forget epochs after `last_epoch`."""
        keep = sum(1 for epoch in self.epochs if epoch <= last_epoch)
        for name in ("epochs", *METRICS, "device_kind", *DEVICE_FIELDS):
            del getattr(self, name)[keep:]


@dataclass(frozen=True)
class Series:
    """One line of a figure: legend label, its points, plotext marker and colour."""

    label: str
    epochs: list[int]
    values: list[float]
    marker: str
    color: str


@dataclass(frozen=True)
class Figure:
    """What a CurvePlot draws, at whatever size it is shown (the ticks depend on the size)."""

    title: str
    epochs: list[int] = field(default_factory=list)
    """Every epoch of the history: the x ticks span them."""
    series: list[Series] = field(default_factory=list)
    y_range: tuple[float, float] | None = None
    """A fixed y axis (percentages); None fits the values."""
    empty_text: str = "no epochs yet"
    """Drawn instead of lines when no series has a point."""


def make_figure(
    title: str,
    epochs: list[int],
    series: list[tuple[str, list[float | None], str]],
    y_range: tuple[float, float] | None = None,
) -> Figure:
    """A figure of (label, values, marker) series over `epochs`; epochs without a value are gaps."""
    lines = []
    for (label, values, marker), color in zip(series, ("cyan", "orange"), strict=False):
        pairs = [
            (epoch, value) for epoch, value in zip(epochs, values, strict=True) if value is not None
        ]
        if pairs:
            lines.append(Series(label, [x for x, _ in pairs], [y for _, y in pairs], marker, color))
    return Figure(title, list(epochs), lines, y_range)


def device_figure(history: History) -> Figure:
    """Utilisation per epoch (mean and peak, 0-100 %) of the latest epoch's kind of device.

    The title names the device and the latest epoch's peak memory: "GPU busy %  mem 31.2/80.0 GiB"
    or "CPU share % of its cores  RSS 1.2 GiB".
    """
    kinds = [kind for kind in history.device_kind if kind is not None]
    if not kinds:
        text = "no device readings in these epochs" if history.epochs else "no epochs yet"
        return Figure("device use", list(history.epochs), empty_text=text)
    kind = kinds[-1]
    # Only epochs of that kind: a run resumed on another device shows the new device's epochs.
    mean, peak, memory, total = (
        _of_kind(values, history.device_kind, kind)
        for values in (history.util_mean, history.util_peak, history.memory_peak,
                       history.memory_total)
    )  # fmt: skip
    title = "GPU busy %" if kind == "gpu" else "CPU share % of its cores"
    used = next((value for value in reversed(memory) if value is not None), None)
    size = next((value for value in reversed(total) if value is not None), None)
    if used is not None and kind == "gpu":
        title += f"  mem {format_bytes(used)}" + (f"/{format_bytes(size)}" if size else "")
    elif used is not None:
        title += f"  RSS {format_bytes(used)}"
    series = [("mean", mean, "hd"), ("peak", peak, "dot")]
    return make_figure(title, history.epochs, series, y_range=PERCENT_RANGE)


def _of_kind(values: list[float | None], kinds: list[str | None], kind: str) -> list[float | None]:
    return [value if of == kind else None for value, of in zip(values, kinds, strict=True)]


def figures(history: History) -> dict[str, Figure]:
    """The figure of each plot of the pane, by the plot's id."""
    epochs = history.epochs
    return {
        "curve-loss": make_figure(
            "loss", epochs, [("train", history.loss, "hd"), ("val", history.val_loss, "dot")]
        ),
        "curve-accuracy": make_figure(
            "accuracy",
            epochs,
            [("train", history.accuracy, "hd"), ("val", history.val_accuracy, "dot")],
        ),
        "curve-lr": make_figure("learning rate", epochs, [("lr", history.learning_rate, "hd")]),
        "curve-device": device_figure(history),
    }
