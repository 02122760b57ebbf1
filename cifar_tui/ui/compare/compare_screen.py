"""Runs side by side: overlaid curves, the settings that differ, per-class accuracy of two.

Opened from the runs list (mark runs with space, then `c`) over the runs it names; escape goes
back. A and B (per-class accuracy, `b`) start as the first two marked; `a` makes the run under the
cursor A. Reading the runs happens in a worker; `r` reads them again (a run still training).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from cifar_tui.core.analysis.compare import (
    METRIC_TITLES,
    METRICS,
    SORT_COLUMNS,
    curve_lines,
    differing_fields,
    group_labels,
    plot_groups,
    sort_runs,
)
from cifar_tui.core.analysis.compare_data import ComparisonData, read_comparison
from cifar_tui.core.data.cifar10 import CLASS_NAMES
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.ui.common.key_footer import KeyFooter
from cifar_tui.ui.common.steady_table import SteadyTable
from cifar_tui.ui.compare.compare_plot import ComparePlot, legend, style_of
from cifar_tui.ui.compare.compare_text import STATS_COLUMNS, classes_table, header, stats_cells

REREAD_SECONDS = 10.0
"""How often the runs are read again (a run still training adds epochs)."""


class CompareScreen(Screen[None]):
    """The comparison of `runs` (two or more run folders; A and B are the first two)."""

    HELP_TITLE = "Compare keys"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("m", "cycle_metric", "Metric", tooltip="Plot: val acc, val loss, train loss, lr"),
        Binding("e", "toggle_smooth", "Smooth", tooltip="EMA smoothing of the curves on / off"),
        Binding("t", "toggle_time", "Time", tooltip="x axis: epochs, or minutes of training"),
        Binding("o", "cycle_sort", "Sort", tooltip="Sort the table by its next column"),
        Binding("p", "toggle_classes", "Classes", tooltip="Per-class accuracy of A and B (narrow)"),
        Binding("b", "browse", "Browse", tooltip="Browse A's predictions against B's"),
        Binding("a", "make_a", "Make A", tooltip="The run under the cursor becomes A; A becomes B"),
        Binding("r", "reload", "Reload", show=False, tooltip="Read the runs again"),
    ]

    @dataclass
    class BrowseRequested(Message):
        """Browse run A's predictions with B's beside them (the right-in-A-wrong-in-B filter)."""

        run: RunFolder
        other: RunFolder

    @dataclass
    class _Read(Message):
        data: ComparisonData

    def __init__(self, runs: list[RunFolder]) -> None:
        super().__init__()
        self.runs = runs
        self.pair = (runs[0], runs[1]) if len(runs) >= 2 else None
        """Runs A and B: the first two, until `a` picks another A (the runs keep their order,
        so each keeps its line's colour and marker)."""
        self.data: ComparisonData | None = None
        self.metric = METRICS[0]
        self.smooth = False
        self.by_time = False
        self.sort = "name"
        self._rereads: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="compare-title")
        with Horizontal(id="compare-top"):
            with Vertical(id="compare-curves"):
                yield ComparePlot(id="compare-plot")
                yield Static(id="compare-legend")
            with VerticalScroll(id="compare-classes"):
                yield Static(id="compare-classes-table")
        yield SteadyTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#compare-table").focus()
        self._show()
        self.read()
        self._rereads = self.set_interval(REREAD_SECONDS, self.read)

    def on_screen_suspend(self) -> None:
        if self._rereads is not None:
            self._rereads.pause()

    def on_screen_resume(self) -> None:
        if self._rereads is not None:
            self._rereads.resume()

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def read(self) -> None:
        """Read every run's curves and A's and B's predictions (in a thread)."""
        self.post_message(self._Read(read_comparison(self.runs, len(CLASS_NAMES), self.pair)))

    def on_compare_screen__read(self, message: _Read) -> None:
        old, self.data = self.data, message.data
        if old is None or old.runs != message.data.runs:  # a run still training moved on
            self._show()
        elif _pair_names(old) != _pair_names(message.data):  # a new A
            self._show_classes()

    @property
    def loaded(self) -> bool:
        """The runs were read (tests wait for it)."""
        return self.data is not None

    def _show(self) -> None:
        self._show_title()
        self._show_curves()
        self._show_table()
        self._show_classes()

    def _show_classes(self) -> None:
        data = self.data
        classes = self.query_one("#compare-classes-table", Static)
        classes.update(classes_table(data.classes if data else None, CLASS_NAMES))

    def _show_title(self) -> None:
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f" Compare {len(self.runs)} runs ", style="reverse bold")
        title.append(f"  {METRIC_TITLES[self.metric]}", style="bold")
        title.append(f"  x: {'minutes' if self.by_time else 'epoch'}")
        title.append(f"  smoothing: {'EMA' if self.smooth else 'off'}")
        title.append("   esc back  ? help", style="dim")
        self.query_one("#compare-title", Static).update(title)

    def _show_curves(self) -> None:
        plot = self.query_one(ComparePlot)
        legend_line = self.query_one("#compare-legend", Static)
        if self.data is None:
            legend_line.update("")
            return
        lines = curve_lines(self.data.runs, self.metric, self.by_time, self.smooth)
        plot.show(lines, self.by_time)
        legend_line.update(legend(lines))

    def _line_of_run(self) -> dict[str, int]:
        """The index of each run's line (its marker and colour): seed groups share one."""
        data = self.data
        groups = plot_groups(data.runs) if data else []
        return {run.name: index for index, group in enumerate(groups) for run in group}

    def _show_table(self) -> None:
        table = self.query_one("#compare-table", SteadyTable)
        row = table.cursor_row
        table.clear(columns=True)
        if self.data is None:
            return
        runs = self.data.runs
        fields = differing_fields([run.config for run in runs])
        for key, label in [*STATS_COLUMNS, *((name, name) for name in fields)]:
            table.add_column(header(label, key, self.sort), key=key)
        labels = group_labels(runs)
        roles = dict(zip((folder.name for folder in self.pair or ()), "AB", strict=True))
        lines = self._line_of_run()
        for run in sort_runs(runs, self.sort):
            marker, _, color = style_of(lines.get(run.name, 0))
            label = Text.assemble((f"{marker} ", f"bold {color}"), labels[run.name])
            if run.name in roles:
                label.append(f" [{roles[run.name]}]", style="bold")
            table.add_row(*stats_cells(run, label, fields), key=run.name)
        table.move_cursor(row=row, animate=False)

    @property
    def sort_columns(self) -> list[str]:
        """What `o` cycles through: the stats, then the settings that differ."""
        runs = self.data.runs if self.data else []
        return [*SORT_COLUMNS, *differing_fields([run.config for run in runs])]

    def action_cycle_metric(self) -> None:
        self.metric = METRICS[(METRICS.index(self.metric) + 1) % len(METRICS)]
        self._show_title()
        self._show_curves()

    def action_toggle_smooth(self) -> None:
        self.smooth = not self.smooth
        self._show_title()
        self._show_curves()

    def action_toggle_time(self) -> None:
        self.by_time = not self.by_time
        self._show_title()
        self._show_curves()

    def action_cycle_sort(self) -> None:
        columns = self.sort_columns
        position = columns.index(self.sort) if self.sort in columns else -1
        self.sort = columns[(position + 1) % len(columns)]
        self._show_table()

    def action_toggle_classes(self) -> None:
        self.toggle_class("-show-classes")

    def action_browse(self) -> None:
        if self.pair is None:
            self.notify("Browsing one run against another needs two runs.", severity="warning")
            return
        self.post_message(self.BrowseRequested(*self.pair))

    def action_make_a(self) -> None:
        table = self.query_one("#compare-table", SteadyTable)
        if self.data is None or not table.row_count:
            return
        name = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        chosen = next((folder for folder in self.runs if folder.name == name), None)
        if chosen is None or self.pair is None or chosen is self.pair[0]:
            return
        self.pair = (chosen, self.pair[0])
        self._show_table()  # the A and B tags at once; the per-class table once read
        self.read()

    def action_reload(self) -> None:
        self.read()


def _pair_names(data: ComparisonData) -> tuple[str, str] | None:
    """The names of the runs whose per-class accuracy `data` holds (A, B)."""
    return data.classes.names if data.classes is not None else None
