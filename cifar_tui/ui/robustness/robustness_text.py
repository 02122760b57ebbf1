"""What the robustness view shows: the accuracy table and one bar per corruption (Rich only)."""

from __future__ import annotations

from rich.style import Style
from rich.table import Table
from rich.text import Text

from cifar_tui.core.analysis.robustness_report import RobustnessReport
from cifar_tui.core.data.corruptions import LABELS, REFERENCE_JPEG_QUALITY, SEVERITIES

LABEL_WIDTH = 15
VALUE_WIDTH = 7  # " 100.0%"
BAR = "█"
REFERENCE = "│"
TRACK = "·"


def command_hint(run_name: str) -> str:
    """The view's text when the run has no result yet."""
    return (
        f"No corruption results for {run_name} yet. In a shell, run:\n\n"
        f"  cifar-tui evaluate {run_name} --corruptions\n\n"
        "It writes corruptions.json into the run folder (add --corruption-images N for a quick "
        "look at the first N test images); press r here to read it."
    )


def accuracy_table(report: RobustnessReport, header: Style | None = None) -> Table:
    """Accuracy (%) per corruption and severity, with each corruption's mean."""
    table = Table(
        box=None,
        padding=(0, 0, 0, 1),
        pad_edge=False,
        show_edge=False,
        header_style=header or "bold",
    )
    table.add_column("corruption", width=LABEL_WIDTH - 1, no_wrap=True)
    for severity in SEVERITIES:
        table.add_column(f"s{severity}", justify="right", width=6)
    table.add_column("mean", justify="right", width=6)
    for name, row in report.accuracies.items():
        cells = [f"{100 * value:.1f}" for value in row]
        table.add_row(LABELS.get(name, name), *cells, f"{100 * report.mean(name):.1f}")
    return table


def summary_line(report: RobustnessReport) -> Text:
    """Clean accuracy, JPEG q75 and the mean corruption accuracy on one line."""
    line = Text(no_wrap=True, overflow="ellipsis")
    for label, value in (
        ("clean", report.clean),
        (f"JPEG q{REFERENCE_JPEG_QUALITY}", report.jpeg_q75),
        ("mCA", report.mca),
    ):
        line.append(f"{label} ", style="bold")
        line.append(f"{100 * value:.2f}%   ")
    line.append(f"({report.images} images, {report.seconds:.0f} s)", style="dim")
    return line


def bar_lines(
    report: RobustnessReport,
    width: int,
    bar: Style | None = None,
    reference: Style | None = None,
    track: Style | None = None,
) -> Text:
    """One bar per corruption (its mean accuracy, 0-100% across the bar's cells, the rest a
    dotted track), a `│` at the clean accuracy on each, and the clean accuracy's own bar last."""
    cells = max(width - LABEL_WIDTH - VALUE_WIDTH, 4)
    mark = min(round(report.clean * cells), cells - 1)
    rows = [(LABELS.get(n, n), report.mean(n)) for n in report.accuracies]
    rows.append(("clean", report.clean))
    text = Text(no_wrap=True, overflow="crop")
    for index, (label, value) in enumerate(rows):
        filled = round(value * cells)
        line = Text(f"{label:<{LABEL_WIDTH}}"[:LABEL_WIDTH])
        for cell in range(cells):
            if cell == mark and index < len(rows) - 1:
                line.append(REFERENCE, style=reference or "")
            elif cell < filled:
                line.append(BAR, style=bar or "")
            else:
                line.append(TRACK, style=track or "")
        line.append(f"{100 * value:6.1f}%")
        text.append_text(line)
        if index < len(rows) - 1:
            text.append("\n")
    return text
