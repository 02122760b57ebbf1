"""What training leaves in the run folder: checkpoints, model.keras, predictions, the preview.

RunSaver writes an epoch's (or a stop's) files in the commit order the run folder promises
(rundir/checkpoints.py): the checkpoint and its `checkpoint_saved` event first, then model.keras,
then predictions.npz and `predictions_saved`. A full disk while saving any of them becomes one
DiskFullError line that says what to do; the previous checkpoint stays intact.
"""

from __future__ import annotations

import contextlib
import errno
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir import checkpoints
from cifar_tui.core.rundir.artifacts import save_predictions
from cifar_tui.core.rundir.atomic import atomic_path
from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.training.metrics import (
    EvaluationResult,
    evaluate_probabilities,
    predict_probabilities,
)
from cifar_tui.core.training.stopping import AgreedStop, StopRequest

# OSError numbers that mean "no room": a full disk, or the user's quota.
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class DiskFullError(RuntimeError):
    """The disk filled up while the trainer wrote a file; the previous checkpoint is intact."""


@dataclass
class RunSaver:
    """Saves the trained state into the run folder; the recorder calls it from inside `fit`."""

    run: RunFolder
    events: EventWriter
    model: Any
    """The compiled model being trained (its weights and optimizer go into the checkpoint)."""
    inference_net: Any
    """An uncompiled twin of `model`: no optimizer or schedule, so plain Keras loads it."""
    inference_model: Any
    """What model.keras holds: `inference_net`, or it inside test-time views (tta.py)."""
    normalization_mean: list[float]
    normalization_std: list[float]
    stop: StopRequest | AgreedStop

    def save(self, epoch: int, step: int, test_result: EvaluationResult | None = None) -> None:
        """Checkpoint, model.keras and (with a test result) predictions.npz, in commit order."""
        run = self.run
        with saving(f"the checkpoint of epoch {epoch} step {step}", run):
            path = checkpoints.save_checkpoint(
                run.checkpoint_dir,
                self.model,
                epoch,
                step,
                self.normalization_mean,
                self.normalization_std,
            )
        self.events.append(
            "checkpoint_saved", epoch=epoch, step=step, path=str(path.relative_to(run.path))
        )
        self.inference_net.set_weights(self.model.get_weights())
        with saving(run.model_path.name, run), atomic_path(run.model_path) as temporary:
            self.inference_model.save(temporary)
        if test_result is not None:
            self._save_predictions(epoch, test_result)

    def save_views(
        self, epoch: int, images: Any, labels: Any, tta: str, single_view: EvaluationResult
    ) -> EvaluationResult:
        """Predict the test set through model.keras's test-time views (the weights `save` set)
        and save those predictions: the figure a user gets back from model.keras."""
        result = evaluate_probabilities(predict_probabilities(self.inference_model, images), labels)
        self._save_predictions(epoch, result, tta=tta, single_view_accuracy=single_view.accuracy)
        return result

    def _save_predictions(self, epoch: int, result: EvaluationResult, **extra: Any) -> None:
        """predictions.npz, then `predictions_saved` with the result and the `extra` fields."""
        with saving(self.run.predictions_path.name, self.run):
            save_predictions(self.run.predictions_path, result.probabilities, result.labels, epoch)
        self.events.append(
            "predictions_saved",
            epoch=epoch,
            test_accuracy=result.accuracy,
            test_loss=result.loss,
            **extra,
        )

    def save_epoch(self, epoch: int, test_result: EvaluationResult) -> None:
        """An epoch ended: save it with its test-set predictions."""
        self.save(epoch, 0, test_result)

    def save_stop(self, epoch_done: int, step: int) -> None:
        """A stop: checkpoint a partial epoch (step > 0), then write `stopped` and say so."""
        if step:  # at an epoch boundary the epoch-end checkpoint is already the latest
            self.save(epoch_done, step)
        reason = self.stop.reason
        self.events.append(
            "stopped", epoch=epoch_done, step=step, reason=reason or "stop requested"
        )
        print(
            f"stopped at epoch {epoch_done} step {step} ({reason}); checkpoint saved; "
            f"continue with: cifar-tui train --resume {self.run.name}",
            flush=True,
        )


def disk_full(error: BaseException | None) -> bool:
    """Whether `error`, or an error it was raised from, is "no space left" (Keras wraps some)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, OSError) and error.errno in _DISK_FULL_ERRNOS:
            return True
        error = error.__cause__ or error.__context__
    return False


def disk_full_message(doing: str, run: RunFolder) -> str:
    """One line: what filled the disk, what to do, and which checkpoint a resume will use."""
    try:
        latest = checkpoints.read_latest(run.checkpoint_dir)
    except UserError:
        latest = None
    kept = (
        f"it continues from the checkpoint of epoch {latest.epoch} step {latest.step}, "
        "which is intact"
        if latest
        else "no checkpoint was saved yet, so it starts over"
    )
    return (
        f"disk full while {doing}: free space and run `cifar-tui train --resume {run.name}`; {kept}"
    )


@contextlib.contextmanager
def saving(what: str, run: RunFolder) -> Iterator[None]:
    """Turn a full disk while saving `what` into a DiskFullError that says what to do."""
    try:
        yield
    except Exception as error:
        if not disk_full(error):
            raise
        with contextlib.suppress(OSError):  # trainer.log keeps the original (Keras drops causes)
            traceback.print_exc()
        raise DiskFullError(disk_full_message(f"saving {what}", run)) from error
