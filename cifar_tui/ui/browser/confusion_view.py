"""ConfusionView: the test set's confusion matrix with per-class accuracy, as one compact table."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from cifar_tui.core.analysis.captions import short_class_name
from cifar_tui.core.analysis.predictions import confusion_matrix, most_confused, per_class_accuracy
from cifar_tui.core.rundir.artifacts import Predictions


class ConfusionView(Widget):
    """Rows are true classes, columns predicted ones; the diagonal (correct) stands out.

    About 78 columns wide for ten classes, so it fits an 80-column terminal.
    """

    COMPONENT_CLASSES = {
        "confusion-view--correct",
        "confusion-view--wrong",
        "confusion-view--zero",
        "confusion-view--header",
    }

    def __init__(
        self,
        predictions: Predictions | None = None,
        class_names: Sequence[str] = (),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._predictions = predictions
        self._class_names = tuple(class_names)
        self._matrix: np.ndarray | None = None
        self.set_predictions(predictions, class_names)

    def set_predictions(self, predictions: Predictions | None, class_names: Sequence[str]) -> None:
        """Show the matrix of these predictions (None: a one-line placeholder)."""
        self._predictions = predictions
        self._class_names = tuple(class_names)
        self._matrix = None
        if predictions is not None:
            classes = predictions.probabilities.shape[1]
            self._matrix = confusion_matrix(predictions.labels, predictions.predicted, classes)
        self.refresh(layout=True)

    @property
    def matrix(self) -> np.ndarray | None:
        """(C, C) counts, row = true class, column = predicted; sums to the number of images."""
        return self._matrix

    def _label(self, index: int) -> str:
        if index < len(self._class_names):
            return short_class_name(self._class_names[index])
        return str(index)

    def render(self) -> RenderableType:
        if self._matrix is None or self._predictions is None:
            return Text("no predictions yet")
        matrix = self._matrix
        classes = len(matrix)
        style = self.get_component_rich_style
        correct = style("confusion-view--correct", partial=True)
        wrong = style("confusion-view--wrong", partial=True)
        zero = style("confusion-view--zero", partial=True)
        header = style("confusion-view--header", partial=True)
        # No box and one space after each column: 6 + 10 x 6 + 7 + 5 = 78 columns for CIFAR-10.
        table = Table(
            box=None,
            padding=(0, 1, 0, 0),
            pad_edge=False,
            show_edge=False,
            header_style=header + Style(underline=True),
            expand=False,
        )
        table.add_column("true", justify="left", no_wrap=True, style=header, min_width=5)
        for column in range(classes):
            table.add_column(self._label(column), justify="right", no_wrap=True, min_width=5)
        table.add_column("acc", justify="right", no_wrap=True, min_width=6)
        table.add_column("n", justify="right", no_wrap=True)
        accuracy = per_class_accuracy(matrix)

        def cell(text: str, style: Style | str = "") -> Text:
            return Text(text, style, justify="right")

        for row in range(classes):
            row_total = int(matrix[row].sum())
            # Red marks confusions worth a look: 5% of the class or more (any, for tiny sets).
            notable = max(1, 0.05 * row_total)
            cells: list[Text] = [Text(self._label(row))]
            for column in range(classes):
                count = int(matrix[row, column])
                if row == column:
                    cells.append(cell(str(count), correct))
                elif count:
                    cells.append(cell(str(count), wrong if count >= notable else ""))
                else:
                    cells.append(cell("·", zero))
            recall = accuracy[row]
            cells.append(cell("-" if np.isnan(recall) else f"{100 * recall:.1f}%"))
            cells.append(cell(str(row_total)))
            table.add_row(*cells)
        totals = [Text("all", header)]
        totals += [cell(str(int(count)), zero) for count in matrix.sum(axis=0)]
        total = int(matrix.sum())
        overall = f"{100 * np.trace(matrix) / total:.1f}%" if total else "-"
        totals += [cell(overall, header), cell(str(total), header)]
        table.add_row(*totals, style=Style(), end_section=False)
        summary = Text(
            f"{int(np.trace(matrix))} of {total} correct · rows: true class, columns: predicted",
            no_wrap=False,
        )
        confused = most_confused(matrix, 3)
        if confused:
            pairs = ", ".join(
                f"{self._label(true)}→{self._label(predicted)} {count}"
                for true, predicted, count in confused
            )
            summary.append(f"\nmost confused: {pairs}")
        return Group(table, Text(""), summary)
