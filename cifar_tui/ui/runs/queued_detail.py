"""The runs screen's detail lines for a queued run (one with no run folder yet)."""

from __future__ import annotations

from rich.text import Text

from cifar_tui.core.rundir.runs_table import format_when
from cifar_tui.core.rundir.summary import RunSummary


def queued_detail(run: RunSummary) -> Text:
    """Name, preset, place in the queue and devices; when it starts, or why it could not."""
    text = Text()
    text.append(run.name, style="bold")
    epochs = run.epochs_total
    text.append(f"  {run.preset or '?'} preset, {epochs or '?'} epoch{'' if epochs == 1 else 's'}")
    devices = run.devices_wanted or "auto"
    text.append(f"\nqueued {format_when(run.updated)}: number {run.queue_position}, on {devices}")
    if run.message:
        text.append(f"\n{run.message}", style="bold red")
        text.append(f"\nit will not be tried again; cifar-tui queue rm {run.name}", style="dim")
    else:
        text.append(
            "\nstarts when a slot frees, even after you quit (cifar-tui queue)", style="dim"
        )
    return text
