"""Loss, accuracy and learning-rate curves of a run, drawn with textual-plotext."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget
from textual_plotext import PlotextPlot

VIEWS = ("all", "loss", "accuracy", "lr")
"""What the pane shows; `v` cycles through them (a narrow terminal fits one plot well)."""

REDRAW_SECONDS = 0.1
"""At most ten redraws a second, however fast epochs arrive (each redraw repaints every cell)."""

PRERENDER_SECONDS = 0.5
"""How long after a redraw the plots' other view sizes are rendered (off the epoch's own paint)."""


@dataclass
class History:
    """The per-epoch numbers the curves are declared from; grows only in `add`."""

    epochs: list[int] = field(default_factory=list)
    loss: list[float | None] = field(default_factory=list)
    val_loss: list[float | None] = field(default_factory=list)
    accuracy: list[float | None] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    learning_rate: list[float | None] = field(default_factory=list)

    def add(self, event: dict[str, Any]) -> None:
        """Append an epoch_ended event; a repeated epoch (after a resume) replaces its tail."""
        epoch = event.get("epoch")
        if not isinstance(epoch, int):
            return
        self.truncate(epoch - 1)
        self.epochs.append(epoch)
        for name in ("loss", "val_loss", "accuracy", "val_accuracy", "learning_rate"):
            value = event.get(name)
            number = float(value) if isinstance(value, int | float) else None
            getattr(self, name).append(number)

    def truncate(self, last_epoch: int) -> None:
        """Forget epochs after `last_epoch`."""
        keep = sum(1 for epoch in self.epochs if epoch <= last_epoch)
        for name in ("epochs", "loss", "val_loss", "accuracy", "val_accuracy", "learning_rate"):
            del getattr(self, name)[keep:]


def _points(epochs: list[int], values: list[float | None]) -> tuple[list[int], list[float]]:
    pairs = [
        (epoch, value) for epoch, value in zip(epochs, values, strict=True) if value is not None
    ]
    return [epoch for epoch, _ in pairs], [value for _, value in pairs]


def epoch_ticks(epochs: list[int], most: int = 6) -> list[int]:
    """Up to `most` evenly spaced whole-epoch ticks, first and last included.

    plotext's own ticks fall on fractions (3.2); and ticks too close together make plotext drop
    one of them, which one depending on the process (so snapshots would differ run to run).
    """
    if not epochs:
        return []
    first, last = epochs[0], epochs[-1]
    if last == first or most < 2:
        return [first]
    step = max(1, -(-(last - first) // (most - 1)))  # ceiling division
    ticks = list(range(first, last + 1, step))
    if ticks[-1] != last:
        if last - ticks[-1] <= step / 2 and len(ticks) > 1:
            ticks[-1] = last  # too close to the previous tick: move that one to the end
        else:
            ticks.append(last)
    return ticks


def value_ticks(values: list[float], count: int = 5) -> tuple[list[float], list[str]]:
    """`count` evenly spaced y ticks over `values`, labelled with as few digits as tell them
    apart (plotext would print a learning rate that decays by 1e-6 as 0.0009999911)."""
    low, high = min(values), max(values)
    if high == low or count < 2:
        return [low], [f"{low:.3g}"]
    ticks = [low + (high - low) * i / (count - 1) for i in range(count)]
    # Fixed decimals line the labels up; tiny or huge values fall back to significant digits.
    style = "f" if 1e-4 <= max(abs(low), abs(high)) < 1e5 else "g"
    for digits in range(1 if style == "f" else 2, 10):
        labels = [f"{tick:.{digits}{style}}" for tick in ticks]
        if len(set(labels)) == len(labels):
            break
    return ticks, labels


class CurvePlot(PlotextPlot):
    """A PlotextPlot that keeps its renders until the figure is declared again.

    Textual renders a widget again whenever it is shown or resized, and plotext builds the whole
    plot each time (~10 ms at 80x25 with parsing its output). `v` hides and shows plots at
    other sizes, so without this each press rebuilt one to three plots though nothing had been
    declared in between. After a new declaration (an epoch), the sizes the old figure was shown
    at are rendered again a moment later, so the first `v` after an epoch finds them ready too.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._renders: dict[tuple[object, ...], Text] = {}

    def declared(self) -> None:
        """The figure was declared anew (`plt` calls): forget the renders of the old one."""
        shown_at = {key[0] for key in self._renders} - {self.size}
        self._renders.clear()
        self.refresh()
        if shown_at:
            self.set_timer(PRERENDER_SECONDS, lambda: self._prerender(shown_at))

    def _prerender(self, sizes: set[Size]) -> None:
        for size in sizes:
            key = (size, self.app.theme, self.theme)
            if key not in self._renders:
                self._renders[key] = self._build(size)

    def _build(self, size: Size) -> Text:
        """What PlotextPlot.render draws, at `size` rather than the widget's current size."""
        self.plt.plotsize(size.width, size.height)
        self.plt._set_size(size.width, size.height)  # as PlotextPlot.render does (issue 5)
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        return Text.from_ansi(self.plt.build())

    def render(self) -> RenderResult:
        key = (self.size, self.app.theme, self.theme)
        text = self._renders.get(key)
        if text is None:
            text = self._renders[key] = self._build(self.size)
        return text.copy()


class CurvesPane(Widget):
    """Three plots: loss and accuracy (train vs validation), and the learning rate."""

    view: reactive[str] = reactive("all")
    """Which plots show: one of VIEWS."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.history = History()
        self._redraw_pending = False
        self._plotted = 0

    def compose(self) -> ComposeResult:
        yield CurvePlot(id="curve-loss")
        yield CurvePlot(id="curve-accuracy")
        yield CurvePlot(id="curve-lr")

    def on_mount(self) -> None:
        self._redraw()

    def on_resize(self) -> None:
        # plotext keeps layout state from the size it last drew at (textual-plotext issue 5):
        # declare the plots afresh, from the same history, for the new size.
        self._schedule_redraw()

    @property
    def epochs_plotted(self) -> int:
        """Epochs in the history the plots were last declared from."""
        return self._plotted

    @property
    def settled(self) -> bool:
        """No redraw is pending: the plots show the whole history."""
        return not self._redraw_pending

    def reset(self) -> None:
        """Forget the history (another run is shown now)."""
        self.history = History()
        self._schedule_redraw()

    def add_epoch(self, event: dict[str, Any]) -> None:
        """Add one epoch_ended event; the plots redraw within REDRAW_SECONDS."""
        self.history.add(event)
        self._schedule_redraw()

    def truncate(self, last_epoch: int) -> None:
        """Drop epochs after `last_epoch` (a resume restarts from its checkpoint)."""
        self.history.truncate(last_epoch)
        self._schedule_redraw()

    def cycle_view(self) -> None:
        """Show the next of VIEWS."""
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]

    def watch_view(self, old: str, new: str) -> None:
        # One class update, so one restyle of the pane's plots rather than two.
        self.update_classes({f"-view-{old}": False, f"-view-{new}": True})

    def _schedule_redraw(self) -> None:
        if not self._redraw_pending:
            self._redraw_pending = True
            self.set_timer(REDRAW_SECONDS, self._redraw)

    def _redraw(self) -> None:
        """Declare every plot from the stored history (never from anything else)."""
        self._redraw_pending = False
        history = self.history
        self._declare(
            "#curve-loss",
            "loss",
            [("train", history.loss, "hd"), ("val", history.val_loss, "dot")],
        )
        self._declare(
            "#curve-accuracy",
            "accuracy",
            [("train", history.accuracy, "hd"), ("val", history.val_accuracy, "dot")],
        )
        self._declare("#curve-lr", "learning rate", [("lr", history.learning_rate, "hd")])
        self._plotted = len(history.epochs)

    def _declare(self, selector: str, title: str, series: list[tuple[str, list, str]]) -> None:
        plot = self.query_one(selector, CurvePlot)
        plt = plot.plt
        plt.clear_figure()
        plt.title(title)
        drawn: list[float] = []
        for (label, values, marker), color in zip(series, ("cyan", "orange"), strict=False):
            xs, ys = _points(self.history.epochs, values)
            if xs:
                plt.plot(xs, ys, label=label, marker=marker, color=color)
                drawn += ys
        if drawn:
            plt.yticks(*value_ticks(drawn, count=max(2, min(5, plot.size.height // 4))))
            plt.xlabel("epoch")
            # A tick label needs its digits plus two spaces; the y labels take about 9 columns.
            room = max(plot.size.width - 9, 0) // (len(str(self.history.epochs[-1])) + 3)
            plt.xticks(epoch_ticks(self.history.epochs, most=min(6, room)))
        else:
            plt.xticks([])
            plt.yticks([])
            plt.text("no epochs yet", x=0.5, y=0.5, alignment="center")
            plt.xlim(0, 1)
            plt.ylim(0, 1)
        plot.declared()
