"""The GPU pane's process lines: under each GPU, who holds its memory (our runs by name).

Plain functions of the labels core/host/gpu_processes.py makes, so tables can test them.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.style import Style
from rich.text import Text

from cifar_tui.core.host.gpu_processes import ProcessLabel
from cifar_tui.ui.common.formatting import format_bytes

MAX_PROCESS_LINES = 4
"""Processes listed per GPU (largest memory first); the rest are counted on one more line."""

Labels = Mapping[int, tuple[ProcessLabel, ...]]
"""GPU index -> the processes on it."""


def process_count(labels: Labels | None, index: int) -> int:
    """Lines the processes of GPU `index` take."""
    found = len(labels.get(index, ())) if labels else 0
    return found if found <= MAX_PROCESS_LINES else MAX_PROCESS_LINES + 1


def memory_cell(label: ProcessLabel) -> str:
    """The process's GPU memory in eight columns, "1.2 GiB", or "?" where NVML cannot say."""
    text = "?" if label.memory_bytes is None else format_bytes(label.memory_bytes)
    return f"{text:<8}"


def process_lines(labels: Labels | None, index: int, run: Style, other: Style) -> list[Text]:
    """GPU `index`'s processes, one a line: memory, then the run, or pid, user and command."""
    found = labels.get(index, ()) if labels else ()
    lines = []
    for label in found[:MAX_PROCESS_LINES]:
        # Led by a mark, not spaces: the pane's text drops a line's leading spaces.
        line = Text(f"↳ {memory_cell(label)} ", no_wrap=True, overflow="ellipsis")
        line.append(label.describe(), run if label.run is not None else other)
        lines.append(line)
    if len(found) > MAX_PROCESS_LINES:
        lines.append(Text(f"↳ +{len(found) - MAX_PROCESS_LINES} more processes", other))
    return lines
