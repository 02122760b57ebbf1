"""The Keras callback that turns `fit()` into run-folder events, epoch lines, checkpoints and stops.

Per batch: stop checks; with each throttled progress event, the divergence check. Per epoch:
validate, report, and have the RunSaver write the epoch's files. A stop mid-epoch is saved and
reported from inside `fit` (see RunRecorder._record_stop).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import keras
import numpy as np

from cifar_tui.core.rundir.events import BATCH_EVENT_INTERVAL
from cifar_tui.core.training.metrics import (
    EvaluationResult,
    evaluate_probabilities,
    predict_probabilities,
)
from cifar_tui.core.training.stopping import AgreedStop, StopRequest

# Divergence: the epoch's running-mean loss over DIVERGENCE_FACTOR times the lowest seen so far in
# this run, and over twice a uniform guess's cross-entropy (2 ln 10: so a memorised run at 0.001
# that wobbles to 0.02 is not "diverged"). Checked once an epoch's mean has SETTLE_STEPS batches.
DIVERGENCE_FACTOR = 10.0
DIVERGENCE_FLOOR = 2 * math.log(10)
SETTLE_STEPS = 20
RATE_WINDOW_EVENTS = 10
"""A batch event's images/s is over the last this many batch events (5 s), not the whole epoch so
far: the monitor shows the speed now, and one stall (a suspended trainer, a busy machine) leaves it
after seconds instead of weighing on it until the epoch ends. `epoch_ended` has the epoch's own."""


class DivergedError(RuntimeError):
    """The training loss became NaN or infinite: further steps would train on garbage."""


class EventSink(Protocol):
    """Where events go: the run's EventWriter."""

    def append(self, type: str, **fields: Any) -> object: ...


class EpochSaver(Protocol):
    """What saves the trained state: the trainer's RunSaver."""

    def save_epoch(self, epoch: int, test_result: EvaluationResult) -> None: ...

    def save_stop(self, epoch_done: int, step: int) -> None: ...


class DeviceUseSource(Protocol):
    """What reads the devices in the background: the trainer's DeviceSampler."""

    def begin_epoch(self) -> None: ...

    def end_epoch(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class FitPlan:
    """The shape of the training the recorder follows."""

    steps_per_epoch: int
    epochs: int
    batch_size: int
    first_step: int = 0
    """Batches of the first epoch done before a resume."""
    first_epoch_done: int = 0
    """Epochs complete before this `fit` (what a resume starts from)."""


class RunRecorder(keras.callbacks.Callback):
    """Per batch: throttled progress and stop checks. Per epoch: validate, report, checkpoint."""

    def __init__(
        self,
        *,
        plan: FitPlan,
        events: EventSink,
        saver: EpochSaver,
        stop: StopRequest | AgreedStop,
        validation: tuple[np.ndarray, np.ndarray],
        test: tuple[np.ndarray, np.ndarray] | None,
        learning_rate_at: Callable[[int], Any],
        device_use: DeviceUseSource | None = None,
    ) -> None:
        super().__init__()
        self._device_use = device_use  # None: no `device_use` in epoch_ended
        self._events = events
        self._saver = saver
        self._stop = stop
        self._steps = plan.steps_per_epoch
        self._epochs = plan.epochs
        self._batch_size = plan.batch_size
        self._validation = validation
        self._test = test  # None: validation *is* the test set (the recipe's way)
        self._learning_rate_at = learning_rate_at  # the schedule: optimizer step -> rate
        self._first_step = plan.first_step
        self.stop_recorded = False  # the saver recorded the stop: it is saved and reported
        self.steps_done = 0
        self.last_epoch_done = plan.first_epoch_done
        self.last_test_result: EvaluationResult | None = None  # of epoch `last_epoch_done`
        self.first_batch_seconds: list[float] = []
        self.lowest_loss = math.inf  # the lowest settled running-mean training loss so far
        # (time, steps done) at the epoch's start and at its latest batch events: the live rate.
        self._rate_points: deque[tuple[float, int]] = deque(maxlen=RATE_WINDOW_EVENTS + 1)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch_start = time.perf_counter()
        self._last_batch_event = 0.0
        self._first_batch_logged = False
        self.steps_done = self._first_step
        self._epoch_first_step = self._first_step
        self._first_step = 0
        self._rate_points.clear()
        self._rate_points.append((self._epoch_start, self.steps_done))
        if self._device_use is not None:
            self._device_use.begin_epoch()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        # Per step: count and check for a stop, O(1) Python. The logs may hold tensors the device
        # is still computing (execution.SyncFreeCallbacks), and reading one waits for the step,
        # so the loss is read, and checked for divergence, only when an event is due, at a stop
        # and at the epoch's end.
        # `batch` is a graph call's last step as Keras counts it: past the epoch's end when its
        # last call ran only the steps left (execution.ShortLastCall).
        self.steps_done = min(self._epoch_first_step + batch + 1, self._steps)
        self._stop.check(self.steps_done)
        # Read once: a signal can set it at any moment, and one set after this read is handled
        # at the next batch, so that fit stops at the very batch whose stop is recorded.
        stopping = self._stop.is_set()
        if stopping:
            self.model.stop_training = True
        elif time.perf_counter() - self._last_batch_event < BATCH_EVENT_INTERVAL:
            return
        logs = logs or {}
        loss = float(logs.get("loss", math.nan))  # waits for the device to finish the step
        now = time.perf_counter()
        if not self._first_batch_logged:
            self._first_batch_logged = True
            self.first_batch_seconds.append(now - self._epoch_start)
        self._check_divergence(loss, batch + 1)
        self._last_batch_event = now
        since, steps_then = self._rate_points[0]
        self._rate_points.append((now, self.steps_done))
        images = (self.steps_done - steps_then) * self._batch_size
        self._events.append(
            "batch",
            epoch=self._current_epoch(),
            step=self.steps_done,
            steps=self._steps,
            loss=loss,
            accuracy=float(logs.get("accuracy", math.nan)),
            images_per_second=images / max(now - since, 1e-9),
        )
        if stopping and self.steps_done < self._steps:
            self._record_stop()

    def _record_stop(self) -> None:
        """Save and report a mid-epoch stop now, inside `fit`, not after it returns.

        `fit` then drops its dataset iterator mid-prefetch, which TensorFlow 2.21 can crash on
        under the mirrored and multi-worker strategies (their MultiDeviceIterator; see
        distribution.build_from_dataset_shapes); by then the stop's checkpoint is on disk.
        """
        if self.stop_recorded:
            return
        self.stop_recorded = True
        self._saver.save_stop(self.last_epoch_done, self.steps_done)

    def _check_divergence(self, loss: float, batches_in_mean: int) -> None:
        """Raise DivergedError for a non-finite loss or one that has blown up (see above)."""
        where = f"at epoch {self._current_epoch()} step {self.steps_done}"
        if not math.isfinite(loss):
            raise DivergedError(
                f"training loss became {loss} {where}; stopped rather than train on garbage: "
                "lower --learning-rate"
            )
        if batches_in_mean < SETTLE_STEPS:
            return
        if loss > max(DIVERGENCE_FACTOR * self.lowest_loss, DIVERGENCE_FLOOR):
            raise DivergedError(
                f"training loss diverged {where}: {loss:.4g}, over {DIVERGENCE_FACTOR:g}x its "
                f"lowest ({self.lowest_loss:.4g}); stopped rather than train on garbage: "
                "lower --learning-rate"
            )
        self.lowest_loss = min(self.lowest_loss, loss)

    def _current_epoch(self) -> int:
        return self.last_epoch_done + 1

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.steps_done < self._steps:
            return  # stopped mid-epoch: _record_stop had the partial epoch saved
        train_seconds = time.perf_counter() - self._epoch_start
        device_use = self._device_use.end_epoch() if self._device_use is not None else None
        logs = logs if logs is not None else {}
        loss = float(logs.get("loss", math.nan))
        if not math.isfinite(loss):
            raise DivergedError(
                f"training loss became {loss} in epoch {epoch + 1}; stopped rather than train "
                "on garbage: lower --learning-rate"
            )
        validation, test = self._evaluate()
        logs.update(
            val_loss=validation.loss, val_accuracy=validation.accuracy, test_accuracy=test.accuracy
        )
        images = (self._steps - self._epoch_first_step) * self._batch_size
        fields: dict[str, Any] = {
            "epoch": epoch + 1,
            "epochs": self._epochs,
            "loss": loss,
            "accuracy": float(logs.get("accuracy", math.nan)),
            "val_loss": validation.loss,
            "val_accuracy": validation.accuracy,
            "test_accuracy": test.accuracy,
            "learning_rate": float(self._learning_rate_at((epoch + 1) * self._steps - 1)),
            "seconds": time.perf_counter() - self._epoch_start,
            "train_seconds": train_seconds,
            "images_per_second": images / max(train_seconds, 1e-9),
            "first_batch_seconds": self.first_batch_seconds[-1]
            if self.first_batch_seconds
            else None,
            "partial": self._epoch_first_step > 0,
        }
        if device_use is not None:
            fields["device_use"] = device_use
        self._events.append("epoch_ended", **fields)
        print(format_epoch_line(fields), flush=True)
        self.last_epoch_done = epoch + 1
        self.last_test_result = test
        self._saver.save_epoch(epoch + 1, test)

    def _evaluate(self) -> tuple[EvaluationResult, EvaluationResult]:
        """Validation and test results of the weights now (one and the same in the recipe's way)."""
        images, labels = self._validation
        validation = evaluate_probabilities(predict_probabilities(self.model, images), labels)
        if self._test is None:
            return validation, validation
        images, labels = self._test
        return validation, evaluate_probabilities(predict_probabilities(self.model, images), labels)


def format_epoch_line(fields: dict) -> str:
    """One readable line per epoch, no carriage returns, for logs and `nohup` files."""
    width = len(str(fields["epochs"]))
    use = fields.get("device_use") or {}
    busy = f"  {use['kind']} {use['util_mean']:.0f}%" if use.get("util_mean") is not None else ""
    return (
        f"epoch {fields['epoch']:>{width}}/{fields['epochs']}"
        f"  loss {fields['loss']:.4f}  acc {100 * fields['accuracy']:5.2f}%"
        f"  val_loss {fields['val_loss']:.4f}  val_acc {100 * fields['val_accuracy']:5.2f}%"
        f"  lr {fields['learning_rate']:.3g}  {fields['seconds']:.1f}s"
        f"  {fields['images_per_second']:.0f} img/s{busy}"
    )
