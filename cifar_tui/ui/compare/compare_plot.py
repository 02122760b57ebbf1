"""The comparison's curves: one marker and colour per run or seed group, the band in dots.

Markers tell the lines apart without colour (NO_COLOR, a 256-colour terminal's close shades); the
legend under the plot names each marker.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from cifar_tui.core.analysis.compare import Line
from cifar_tui.ui.monitor.curve_ticks import epoch_ticks, value_ticks

MARKERS = ("●", "x", "+", "o", "*", "#", "=", "%")
"""One per line, in order: plotext draws each point of a line with its marker."""

COLORS = (("cyan", "cyan"), ("orange", "dark_orange"), ("magenta", "magenta"),
          ("green", "green"), ("red", "red"), ("blue", "blue"), ("yellow", "yellow"),
          ("white", "white"))  # fmt: skip
"""(plotext colour, the same colour in Rich) per line."""

BAND_MARKER = "·"
"""The min and max lines of a seed group's band: thin dots in the group's colour."""

FRAME_ROWS = 4
"""Rows of the plot that are not its plotting area: top and bottom border, x ticks, x label."""


def style_of(index: int) -> tuple[str, str, str]:
    """(marker, plotext colour, Rich colour) of the `index`th line."""
    plot_color, rich_color = COLORS[index % len(COLORS)]
    return MARKERS[index % len(MARKERS)], plot_color, rich_color


def legend(lines: list[Line]) -> Text:
    """ "● lr0.1 (mean of 2 seeds)  x lr0.2 ...": each line's marker, in its colour, and label."""
    text = Text()
    for index, line in enumerate(lines):
        marker, _, color = style_of(index)
        if index:
            text.append("  ")
        text.append(f"{marker} ", style=f"bold {color}")
        text.append(line.label)
        if not line.x:
            text.append(" (no points)", style="dim")
    if any(line.low is not None for line in lines):
        text.append(f"  {BAND_MARKER}{BAND_MARKER} min-max of the seeds", style="dim")
    return text


class ComparePlot(PlotextPlot):
    """Draws `lines` over epochs or minutes, declared at the size it is rendered at."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[Line] = []
        self.by_time = False
        self.empty_text = "reading the runs…"

    def show(self, lines: list[Line], by_time: bool, empty_text: str = "no epochs yet") -> None:
        self.lines, self.by_time, self.empty_text = lines, by_time, empty_text
        self.refresh()

    def _declare(self, width: int, height: int) -> None:
        plt = self.plt
        plt.clear_figure()
        drawn: list[float] = []
        xs: list[float] = []
        for index, line in enumerate(self.lines):
            marker, color, _ = style_of(index)
            for band in (line.low, line.high):
                if band:
                    plt.plot(line.x, band, marker=BAND_MARKER, color=color)
                    drawn += band
            if line.x:
                plt.plot(line.x, line.y, marker=marker, color=color)
                drawn += line.y
                xs += line.x
        if not drawn:
            plt.xticks([])
            plt.yticks([])
            plt.text(self.empty_text, x=0.5, y=0.5, alignment="center")
            plt.xlim(0, 1)
            plt.ylim(0, 1)
            return
        ticks, labels = value_ticks(drawn, rows=height - FRAME_ROWS)
        plt.yticks(ticks, labels)
        axis = max(map(len, labels)) + 3
        room = max(width - axis, 0)
        if self.by_time:
            plt.xlabel("minutes of training")
            x_ticks, x_labels = value_ticks(xs, rows=room // 2, most=max(2, min(6, room // 8)))
            plt.xticks(x_ticks, x_labels)
        else:
            plt.xlabel("epoch")
            epochs = sorted({round(x) for x in xs})
            plt.xticks(epoch_ticks(epochs, most=min(6, room // (len(str(epochs[-1])) + 3))))

    def render(self) -> RenderResult:
        width, height = self.size
        self._declare(width, height)
        self.plt.plotsize(width, height)
        self.plt._set_size(width, height)  # as PlotextPlot.render does (its issue 5)
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        return Text.from_ansi(self.plt.build())
