"""Queued runs as rows of the runs list: status "queued", with their place and devices."""

from __future__ import annotations

from pathlib import Path

from cifar_tui.core.queue.store import queued
from cifar_tui.core.rundir.summary import RunSummary

__all__ = ["QUEUED", "queued_summaries"]

QUEUED = "queued"
"""The status of a run still in the queue: no run folder yet, so not one of rundir's STATUSES
(nor resumable)."""


def queued_summaries(models_dir: Path) -> list[RunSummary]:
    """The queue's runs in queue order, as the runs list shows them.

    Args:
        models_dir: the models folder.

    Returns:
        One summary per queued run: status "queued", `queue_position`, `devices_wanted`, the
        time it was queued as `updated`, and why its trainer could not start as `message`.
    """
    return [
        RunSummary(
            name=run.name,
            path=Path(models_dir).absolute() / run.name,
            status=QUEUED,
            epochs_done=0,
            epochs_total=run.config.epochs,
            best_val_accuracy=None,
            best_epoch=None,
            test_accuracy=None,
            started=None,
            updated=run.added,
            strategy=run.config.strategy,
            replicas=None,
            preset=run.preset,
            message=f"could not start: {run.failed}" if run.failed else None,
            queue_position=run.position,
            devices_wanted=run.devices,
        )
        for run in queued(models_dir)
    ]
