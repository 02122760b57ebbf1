"""A run's accuracy on CIFAR-10-C-style corrupted test images, from its `corruptions.json`.

Opened from the monitor (`c`) over the run it shows; escape goes back, `r` reads the file again.
The file comes from `cifar-tui evaluate RUN --corruptions`: this view never runs the model.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from cifar_tui.core.analysis.robustness_report import RobustnessReport, read_report
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.ui.common.key_footer import KeyFooter
from cifar_tui.ui.robustness.robustness_text import (
    accuracy_table,
    bar_lines,
    command_hint,
    summary_line,
)


class RobustnessBars(Widget):
    """Mean accuracy per corruption as bars as wide as the widget, the clean accuracy marked."""

    COMPONENT_CLASSES = {
        "robustness-bars--bar",
        "robustness-bars--reference",
        "robustness-bars--track",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.report: RobustnessReport | None = None

    def show(self, report: RobustnessReport | None) -> None:
        self.report = report
        self.refresh(layout=True)

    def render(self) -> RenderableType:
        if self.report is None:
            return Text("")
        style = self.get_component_rich_style
        return bar_lines(
            self.report,
            self.size.width,
            style("robustness-bars--bar", partial=True),
            style("robustness-bars--reference", partial=True),
            style("robustness-bars--track", partial=True),
        )


class RobustnessScreen(Screen[None]):
    """The robustness table and bars of one run."""

    HELP_TITLE = "Robustness keys"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "reload", "Reload", tooltip="Read corruptions.json again"),
    ]

    def __init__(self, run: RunFolder) -> None:
        super().__init__()
        self.run = run
        self.report: RobustnessReport | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="robustness-title")
        with VerticalScroll(id="robustness-body"):
            yield Static(id="robustness-table")
            yield Static("Mean accuracy per corruption (│ marks the clean accuracy)",
                         id="robustness-bars-title")  # fmt: skip
            yield RobustnessBars(id="robustness-bars")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        """Read the run's corruptions.json (small: on the UI thread) and show it."""
        problem = None
        try:
            self.report = read_report(self.run.path)
        except ValueError as error:
            self.report, problem = None, str(error)
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(f" Robustness of {self.run.name} ", style="reverse bold")
        title.append("  accuracy % on corrupted test images (CIFAR-10-C style)")
        self.query_one("#robustness-title", Static).update(title)
        report = self.report
        body: RenderableType
        if report is None:
            body = Text(problem or command_hint(self.run.name))
        else:
            body = Group(accuracy_table(report, header=None), Text(""), summary_line(report))
        self.query_one("#robustness-table", Static).update(body)
        self.query_one("#robustness-bars-title").display = report is not None
        self.query_one(RobustnessBars).show(report)
