"""A DataTable that keeps its rendered lines through a restyle that changed none of its styles."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable

from cifar_tui.ui.common.textual_internals import drop_table_caches


class SteadyTable(DataTable[str | Text]):
    """DataTable, minus the re-rendering of every line after a restyle that changed nothing.

    Textual restyles every widget of a view each time the view is shown again, and DataTable
    drops all its rendered lines and cells on every restyle (its line cache is not keyed by its
    component styles). Rendering the epoch table again was most of each switch to the monitor
    (BENCHMARKS.md, app latency). Here a restyle only marks the styles for checking: the caches are
    dropped at the next render if a style the table paints with, or its size, differs from the
    last render's.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._restyled = True
        self._painted_with: tuple[object, ...] | None = None
        self._painted_size: Size | None = None
        super().__init__(*args, **kwargs)

    def notify_style_update(self) -> None:
        Widget.notify_style_update(self)  # the widget's own style caches, not DataTable's
        self._restyled = True
        self.refresh()

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        # Textual moves the scrollbar's thumb only while the bar is shown. The table learns its
        # height when idle and shows the bar at the next layout; a scroll to the last row that
        # lands between the two (a run's epochs loading) left the thumb at the top for good.
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    def _styles_painted_with(self) -> tuple[object, ...]:
        names = sorted(self.COMPONENT_CLASSES)
        return (
            self.rich_style,
            *(self.get_component_styles(name).rich_style for name in names),
            *(self.get_component_rich_style(name) for name in names),
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        # The size too: DataTable's row cache is not keyed by the table's width, and its resize
        # handler runs after the first repaint at the new size (the restyle that comes with most
        # resizes used to drop the rows in time).
        if self._restyled or self.size != self._painted_size:
            self._restyled = False
            painted_with = self._styles_painted_with()
            if painted_with != self._painted_with or self.size != self._painted_size:
                self._painted_with, self._painted_size = painted_with, self.size
                drop_table_caches(self)  # what DataTable.notify_style_update drops
        return super().render_lines(crop)
