"""Loss, accuracy, learning-rate and device-use curves of a run, drawn with textual-plotext."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.geometry import Size
from textual.reactive import reactive
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget
from textual_plotext import PlotextPlot

from cifar_tui.core.rundir.event_types import EpochEnded
from cifar_tui.ui.monitor.curve_figures import Figure, History, figures
from cifar_tui.ui.monitor.curve_ticks import epoch_ticks, value_ticks

VIEWS = ("all", "loss", "accuracy", "lr", "device")
"""What the pane shows; `v` cycles through them (a narrow terminal fits one plot well). "device"
puts the trainer's GPU or CPU use under the loss: a starved GPU shows as low utilisation."""

REDRAW_SECONDS = 0.1
"""At most ten redraws a second, however fast epochs arrive (each redraw repaints every cell)."""

PRERENDER_SECONDS = 0.5
"""How long after a redraw the plots' other view sizes are rendered (off the epoch's own paint)."""

SIZES_KEPT = 4
"""Sizes a plot renders again after an epoch: the latest it was shown at (two views per terminal
size show it at two sizes); dragging a terminal's edge shows it at dozens."""

FRAME_ROWS = 5
"""Rows of a plot that are not its plotting area: title, top and bottom border, x ticks, x label."""


class CurvePlot(PlotextPlot):
    """A PlotextPlot that draws a Figure at the size it is shown, and keeps each size's lines.

    The figure is declared in plotext for each size it is drawn at, so the ticks fit that size
    (a plot declared while hidden has no size to fit). plotext builds the whole plot each time
    and Textual converts its text to lines, which it keeps only until the size changes (the costs
    are in BENCHMARKS.md, "The app through a pty"). `v` hides and shows plots at other sizes, so
    the lines are kept per size until another figure is shown. After that, the sizes the old
    figure was shown at are drawn again a moment later, so the first `v` after an epoch finds
    them ready too.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.figure = Figure("")
        self._renders: dict[tuple[object, ...], Text] = {}
        self._lines: dict[tuple[object, ...], list[Strip]] = {}
        self._shown_at: dict[Size, None] = {}
        """The latest sizes the plot was drawn at, oldest first (an ordered set)."""

    def show(self, figure: Figure) -> None:
        """Draw `figure` from now on: forget the renders of the old one."""
        self.figure = figure
        self._renders.clear()
        self._lines.clear()
        self.refresh()
        others = [size for size in self._shown_at if size != self.size]
        if others:
            self.set_timer(PRERENDER_SECONDS, lambda: self._prerender(others))

    def _forget(self, size: Size) -> None:
        """Drop what was drawn at `size` (a terminal dragged through dozens of sizes)."""
        del self._shown_at[size]
        for cache in (self._renders, self._lines):
            for key in [key for key in cache if key[0] == size]:
                del cache[key]

    def _prerender(self, sizes: list[Size]) -> None:
        for size in sizes:
            self._strips(size)

    def _key(self, size: Size) -> tuple[object, ...]:
        return (size, self.app.theme, self.theme)

    def _text(self, size: Size) -> Text:
        key = self._key(size)
        text = self._renders.get(key)
        if text is None:
            text = self._renders[key] = self._build(size)
        return text

    def _strips(self, size: Size) -> list[Strip]:
        """The plot's lines at `size`, as Widget.render_line would make them from `render`."""
        key = (*self._key(size), self.visual_style)
        strips = self._lines.get(key)
        if strips is None:
            visual = visualize(self, self._text(size))
            strips = Visual.to_strips(self, visual, size.width, size.height, self.visual_style)
            self._lines[key] = strips
        return strips

    def _declare(self, size: Size) -> None:
        """Declare the figure in plotext with as many ticks as `size` has room for."""
        plt = self.plt
        plt.clear_figure()
        plt.title(self.figure.title)
        drawn: list[float] = []
        for series in self.figure.series:
            plt.plot(series.epochs, series.values, label=series.label, marker=series.marker,
                     color=series.color)  # fmt: skip
            drawn += series.values
        if not drawn:
            plt.xticks([])
            plt.yticks([])
            plt.text(self.figure.empty_text, x=0.5, y=0.5, alignment="center")
            plt.xlim(0, 1)
            plt.ylim(0, 1)
            return
        y_range = self.figure.y_range
        ticks, labels = value_ticks(drawn + list(y_range or ()), rows=size.height - FRAME_ROWS)
        plt.yticks(ticks, labels)
        if y_range is not None:
            plt.ylim(*y_range)
        plt.xlabel("epoch")
        # An x tick label needs its digits plus three spaces; the y labels and the frame take
        # the longest label plus 3 columns.
        epochs = self.figure.epochs
        axis = max(map(len, labels)) + 3
        room = max(size.width - axis, 0) // (len(str(epochs[-1])) + 3)
        plt.xticks(epoch_ticks(epochs, most=min(6, room)))

    def _build(self, size: Size) -> Text:
        """What PlotextPlot.render draws, at `size` rather than the widget's current size."""
        self._declare(size)
        self.plt.plotsize(size.width, size.height)
        self.plt._set_size(size.width, size.height)  # as PlotextPlot.render does (issue 5)
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        return Text.from_ansi(self.plt.build())

    def render(self) -> RenderResult:
        return self._text(self.size).copy()

    def render_line(self, y: int) -> Strip:
        """A line of the plot from the lines kept for this size (Textual's own are per paint)."""
        size = self.size
        if self.text_selection is not None or not size:
            return super().render_line(y)  # a selection is drawn into the lines
        self._shown_at.pop(size, None)
        self._shown_at[size] = None
        while len(self._shown_at) > SIZES_KEPT:
            self._forget(next(iter(self._shown_at)))
        strips = self._strips(size)
        if y < len(strips):
            return strips[y]
        return Strip.blank(size.width, self.visual_style.rich_style)


class CurvesPane(Widget):
    """Plots of loss and accuracy (train vs validation), the learning rate and device use."""

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
        yield CurvePlot(id="curve-device")

    def on_mount(self) -> None:
        self._redraw()

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

    def add_epoch(self, event: EpochEnded) -> None:
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
        for plot_id, figure in figures(history).items():
            self.query_one(f"#{plot_id}", CurvePlot).show(figure)
        self._plotted = len(history.epochs)
