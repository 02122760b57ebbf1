"""What the app does with the config screen's Queue key: queue the runs, start the runner."""

from __future__ import annotations

from pathlib import Path

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.errors import UserError
from cifar_tui.core.queue.runner import ensure_runner
from cifar_tui.core.queue.store import enqueue


def queue_runs(
    models_dir: Path, entries: list[tuple[str, TrainConfig]], data_dir: str | None
) -> tuple[str, bool]:
    """Queue `entries` (all or none) and make sure the queue's runner is running.

    Returns:
        A one-line notice saying what was queued, or why nothing was; and whether it failed.
    """
    try:
        names = enqueue(models_dir, entries, data_dir)
    except (UserError, OSError) as error:
        return f"Nothing queued: {error}", True
    runs = f"{len(names)} runs, {names[0]} ... {names[-1]}" if len(names) > 1 else names[0]
    try:
        ensure_runner(models_dir)
    except (UserError, OSError) as error:
        return f"Queued {runs}, but the queue's runner did not start: {error}", True
    return f"Queued {runs}; each starts when a slot frees, also after you quit.", False
