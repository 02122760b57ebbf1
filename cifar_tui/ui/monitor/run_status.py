"""The monitor's status: run name, state and results on one line, setup on the next.

Facts are laid out whole: one that does not fit the width is left out (least important first),
never split across lines, so an 80-column terminal reads as cleanly as a wide one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

SEPARATOR = " · "
"""Between two facts of the status; a fact itself is never split across lines."""


@dataclass(frozen=True)
class Fact:
    """One fact of the status line, e.g. "best 86.66% @60"; an empty one is not shown."""

    text: str
    style: str = ""
    room: int = 0
    """Cells to count for it when deciding whether the status fits one line, even while it is
    empty (so the status does not grow a line when the first epoch ends)."""


def fit_facts(title: Text, facts: list[Fact], width: int) -> Text:
    """One line: `title`, then each of `facts` (in order) that still fits in `width` cells.

    A fact that does not fit is left out whole (a later, shorter one may still fit); the title
    alone is cut with an ellipsis when even it does not fit.
    """
    line = title.copy()
    for fact in facts:
        if not fact.text:
            continue
        separator = SEPARATOR if line.cell_len else ""
        if line.cell_len + cell_len(separator + fact.text) <= width:
            line.append(separator)
            line.append(fact.text, style=fact.style)
    line.truncate(max(width, 1), overflow="ellipsis")
    return line


def status_lines(title: Text, head: list[Fact], tail: list[Fact], width: int) -> list[Text]:
    """The status in one line when everything fits in `width` cells, else in two.

    Args:
        title: the run's name and status; always shown (cut with an ellipsis if need be).
        head: facts about how the run is doing, most important first (the first line).
        tail: facts about what it runs on, most important first (the second line).
        width: cells available.

    Returns:
        One or two lines; facts that do not fit are left out whole, least important first.
    """
    needed = title.cell_len + sum(
        cell_len(SEPARATOR) + max(cell_len(fact.text), fact.room)
        for fact in head + tail
        if fact.text or fact.room
    )
    if needed <= width or not any(fact.text for fact in tail):
        return [fit_facts(title, head + tail, width)]
    return [fit_facts(title, head, width), fit_facts(Text(), tail, width)]


class RunStatus(Widget):
    """The monitor's status: the run, how it is doing, what it runs on, and notes on its files.

    Laid out for the width it gets (one line when wide, two when narrow), so a fact is never
    split across lines; the trainer's warnings follow, whole (wrapped: each ends in its fix),
    and the notes take one more line, cut with an ellipsis.
    """

    DEFAULT_CSS = """
    RunStatus { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.message: str | None = None
        """Shown instead of facts (no run open)."""
        self.title = Text()
        self.head: list[Fact] = []
        self.tail: list[Fact] = []
        self.notes: list[str] = []
        self.warnings: list[str] = []
        """The trainer's warnings (run_started), e.g. that it trains on the CPU beside GPUs."""

    def show(
        self,
        title: Text,
        head: list[Fact],
        tail: list[Fact],
        notes: list[str],
        warnings: Sequence[str] = (),
    ) -> None:
        """Show a run's facts (with the trainer's warnings and notes on files) from now on."""
        self.message, self.title, self.head, self.tail = None, title, head, tail
        self.notes, self.warnings = notes, list(warnings)
        self.refresh(layout=True)

    def show_message(self, message: str) -> None:
        """Show one sentence instead of a run's facts."""
        self.message = message
        self.refresh(layout=True)

    def lines(self, width: int) -> list[Text]:
        """What the status shows at `width` cells."""
        if self.message is not None:
            return list(Text(self.message).wrap(self.app.console, max(width, 1)))
        lines = status_lines(self.title, self.head, self.tail, width)
        for warning in self.warnings:
            lines += Text("⚠ " + warning, style="bold yellow").wrap(self.app.console, max(width, 1))
        if self.notes:
            note = Text("⚠ " + "; ".join(self.notes), style="yellow", no_wrap=True)
            note.truncate(max(width, 1), overflow="ellipsis")
            lines.append(note)
        return lines

    @property
    def text(self) -> str:
        """The status as shown now, lines joined with newlines (for tests and logs)."""
        return "\n".join(line.plain for line in self.lines(self.content_size.width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.content_size.width))
