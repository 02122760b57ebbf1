"""The rules that refuse a run before it trains: a batch that does not fit, a resume with nothing
left to train. TensorFlow-free: `cifar-tui train` checks them before it loads the data into
TensorFlow or writes to the run, and the trainer again for callers that skip the CLI.
"""

from __future__ import annotations

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.checkpoints import CheckpointInfo
from cifar_tui.core.rundir.event_types import TERMINAL_EVENTS
from cifar_tui.core.rundir.folder import RunFolder


def held_out_count(train_images: int, fraction: float) -> int:
    """Training images set aside for validation (0 when the test set validates)."""
    return max(1, int(round(fraction * train_images))) if fraction > 0 else 0


def check_batch_fits(config: TrainConfig, train_images: int) -> None:
    """At least one full batch per epoch, after the validation hold-out.

    Args:
        config: the run's config (batch_size, validation_split).
        train_images: training images loaded, before the hold-out is set aside.
    """
    usable = train_images - held_out_count(train_images, config.validation_split)
    if usable < config.batch_size:
        raise UserError(
            f"batch_size {config.batch_size} is larger than the {usable} training images "
            "left after the validation split; lower --batch-size or raise --train-size"
        )


def check_epochs_left(run: RunFolder, latest: CheckpointInfo | None, epochs: int) -> None:
    """Refuse a resume that has nothing to do, before anything is written to the run.

    Args:
        run: the run being resumed.
        latest: its latest checkpoint (None: it starts over from epoch 1, always allowed).
        epochs: the epochs the resumed config asks for.
    """
    if latest is None:
        return
    # All epochs trained but killed before its `finished` event: the resume only evaluates.
    if latest.epoch > epochs or (latest.epoch == epochs and _finished(run)):
        raise UserError(
            f"run {run.name} already has {latest.epoch} of {epochs} epochs; "
            f"pass --epochs N with N > {latest.epoch} to train further"
        )


def _finished(run: RunFolder) -> bool:
    """Whether the run's last terminal event is `finished`."""
    ends = [e.type for e in run.events() if e.type in TERMINAL_EVENTS]
    return bool(ends) and ends[-1] == "finished"
