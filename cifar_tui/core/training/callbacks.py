"""Keras callbacks that turn `fit()` into run-folder events, epoch lines, checkpoints and stops."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

from cifar_tui.core.rundir.events import BATCH_EVENT_INTERVAL
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


@dataclass
class EvaluationResult:
    """Class probabilities for a labelled set and the metrics that follow from them."""

    probabilities: np.ndarray
    labels: np.ndarray
    accuracy: float
    loss: float


def evaluate_probabilities(probabilities: np.ndarray, labels: np.ndarray) -> EvaluationResult:
    """Accuracy and mean categorical cross-entropy (no smoothing, no L2 term) from probabilities."""
    labels = labels.astype(np.int64)
    picked = probabilities[np.arange(len(labels)), labels].astype(np.float64)
    loss = float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0)))) if len(labels) else float("nan")
    accuracy = float(np.mean(np.argmax(probabilities, axis=1) == labels)) if len(labels) else 0.0
    return EvaluationResult(probabilities.astype(np.float32), labels, accuracy, loss)


def predict_probabilities(model: Any, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities for uint8 images, in float32."""
    return np.asarray(model.predict(images, batch_size=batch_size, verbose=0), dtype=np.float32)


class RunRecorder(keras.callbacks.Callback):
    """Per batch: throttled progress and stop checks. Per epoch: validate, report, checkpoint.

    `on_epoch_saved(epoch, test_result)` runs after the metrics are recorded; the trainer uses it to
    write the checkpoint, model.keras and predictions.npz.
    """

    def __init__(
        self,
        *,
        emit: Callable[..., Any],
        print_line: Callable[[str], None],
        stop: StopRequest | AgreedStop,
        steps_per_epoch: int,
        epochs: int,
        batch_size: int,
        validation: tuple[np.ndarray, np.ndarray],
        test: tuple[np.ndarray, np.ndarray] | None,
        on_epoch_saved: Callable[[int, EvaluationResult], None],
        learning_rate_at: Callable[[int], float],
        first_step: int = 0,
        on_stopped_mid_epoch: Callable[[int, int], None] | None = None,
    ) -> None:
        super().__init__()
        self._emit = emit
        self._print = print_line
        self._stop = stop
        self._steps = steps_per_epoch
        self._epochs = epochs
        self._batch_size = batch_size
        self._validation = validation
        self._test = test  # None: validation *is* the test set (the recipe's way)
        self._on_epoch_saved = on_epoch_saved
        self._learning_rate_at = learning_rate_at
        self._first_step = first_step  # batches of the first epoch done before a resume
        self._on_stopped_mid_epoch = on_stopped_mid_epoch
        self.stop_recorded = False  # on_stopped_mid_epoch ran: the stop is saved and reported
        self.steps_done = 0
        self.last_epoch_done = 0
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

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.steps_done = self._epoch_first_step + batch + 1
        now = time.perf_counter()
        if not self._first_batch_logged:
            self._first_batch_logged = True
            self.first_batch_seconds.append(now - self._epoch_start)
        logs = logs or {}
        # Keras's TensorFlow backend has already made the logs Python floats (every step, with
        # or without this callback), so checking each batch costs nothing.
        loss = float(logs.get("loss", math.nan))
        self._check_divergence(loss, batch + 1)
        self._stop.check(self.steps_done)
        if self._stop.is_set():
            self.model.stop_training = True
        if now - self._last_batch_event < BATCH_EVENT_INTERVAL and not self._stop.is_set():
            return
        self._last_batch_event = now
        since, steps_then = self._rate_points[0]
        self._rate_points.append((now, self.steps_done))
        images = (self.steps_done - steps_then) * self._batch_size
        self._emit(
            "batch",
            epoch=self._current_epoch(),
            step=self.steps_done,
            steps=self._steps,
            loss=loss,
            accuracy=float(logs.get("accuracy", math.nan)),
            images_per_second=images / max(now - since, 1e-9),
        )
        if self._stop.is_set() and self.steps_done < self._steps:
            self._record_stop()

    def _record_stop(self) -> None:
        """Save and report a mid-epoch stop now, inside `fit`, not after it returns.

        `fit` then drops its dataset iterator mid-prefetch, which TensorFlow 2.21 can crash on
        under the mirrored and multi-worker strategies (their MultiDeviceIterator; see
        distribution.build_from_dataset_shapes); by then the stop's checkpoint is on disk.
        """
        if self.stop_recorded or self._on_stopped_mid_epoch is None:
            return
        self.stop_recorded = True
        self._on_stopped_mid_epoch(self.last_epoch_done, self.steps_done)

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
            return  # stopped mid-epoch: the trainer checkpoints the partial epoch itself
        train_seconds = time.perf_counter() - self._epoch_start
        logs = logs if logs is not None else {}
        loss = float(logs.get("loss", math.nan))
        if not math.isfinite(loss):
            raise DivergedError(
                f"training loss became {loss} in epoch {epoch + 1}; stopped rather than train "
                "on garbage: lower --learning-rate"
            )
        validation = evaluate_probabilities(
            predict_probabilities(self.model, self._validation[0]), self._validation[1]
        )
        test = validation
        if self._test is not None:
            test = evaluate_probabilities(
                predict_probabilities(self.model, self._test[0]), self._test[1]
            )
        logs.update(
            val_loss=validation.loss, val_accuracy=validation.accuracy, test_accuracy=test.accuracy
        )
        images = (self._steps - self._epoch_first_step) * self._batch_size
        fields = {
            "epoch": epoch + 1,
            "epochs": self._epochs,
            "loss": loss,
            "accuracy": float(logs.get("accuracy", math.nan)),
            "val_loss": validation.loss,
            "val_accuracy": validation.accuracy,
            "test_accuracy": test.accuracy,
            "learning_rate": self._learning_rate_at((epoch + 1) * self._steps - 1),
            "seconds": time.perf_counter() - self._epoch_start,
            "train_seconds": train_seconds,
            "images_per_second": images / max(train_seconds, 1e-9),
            "first_batch_seconds": self.first_batch_seconds[-1]
            if self.first_batch_seconds
            else None,
            "partial": self._epoch_first_step > 0,
        }
        self._emit("epoch_ended", **fields)
        self._print(format_epoch_line(fields))
        self.last_epoch_done = epoch + 1
        self.last_test_result = test
        self._on_epoch_saved(epoch + 1, test)


def format_epoch_line(fields: dict) -> str:
    """One readable line per epoch, no carriage returns, for logs and `nohup` files."""
    width = len(str(fields["epochs"]))
    return (
        f"epoch {fields['epoch']:>{width}}/{fields['epochs']}"
        f"  loss {fields['loss']:.4f}  acc {100 * fields['accuracy']:5.2f}%"
        f"  val_loss {fields['val_loss']:.4f}  val_acc {100 * fields['val_accuracy']:5.2f}%"
        f"  lr {fields['learning_rate']:.3g}  {fields['seconds']:.1f}s"
        f"  {fields['images_per_second']:.0f} img/s"
    )
