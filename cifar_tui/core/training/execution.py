"""How `fit` runs the steps: batches per graph call, where augmentation runs, no sync per step.

The costs here are per step, so they vanish on a CPU, where a step of the recipe's network takes
about 150 ms, and decide the speed on a GPU, where it takes one or two (BENCHMARKS.md, issue 14).
This module imports Keras at its top: import it after runtime.start_runtime.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

GPU_STEPS_PER_EXECUTION = 16
"""steps_per_execution `auto` on a GPU: the per-step Python cost that a graph call leaves, measured
by proxy on the CPU (bench/framework_overhead.py), is then 1/16 of one call's, and a stop or batch
event waits at most 16 steps, a few tens of milliseconds there."""


def has_gpu() -> bool:
    """Whether TensorFlow trains on a GPU in this process."""
    return bool(tf.config.list_logical_devices("GPU"))


def target_steps_per_execution(requested: int, on_gpu: bool) -> int:
    """The config's steps_per_execution with 0 (auto) resolved: 1 on a CPU, more on a GPU.

    On a CPU a step takes far longer than the Python around it, and one call per step keeps
    every batch end visible to the recorder (BENCHMARKS.md: no gain measured there).
    """
    if requested:
        return requested
    return GPU_STEPS_PER_EXECUTION if on_gpu else 1


def use_steps_per_execution(model: Any, count: int) -> None:
    """Have `model.fit` run `count` steps per graph call (traced again if it changes)."""
    if model.steps_per_execution != count:
        model.steps_per_execution = count
        model.train_function = None


def augments_on_device(requested: str, on_gpu: bool) -> bool:
    """Whether augmentation runs in the train step: `device`, or `auto` on a GPU."""
    return requested == "device" or (requested == "auto" and on_gpu)


class ShortLastCall:
    """Has the last graph call of each epoch run only the steps the epoch has left.

    Keras runs every call for its full `steps_per_execution`, the last one of an epoch on into
    the next epoch's batches when the epoch's steps are not a multiple of it. So before that
    call this swaps in a second train function traced for the steps left, and swaps the full
    one back after it. Both rely on what Keras 3's `fit` does (tests/core/test_execution_runs.py
    checks the result against one step per call): it looks `model.train_function` up before
    each call, and a train function reads `steps_per_execution` when it is first traced.
    Choosing a divisor of the epoch's steps instead left 10 of 16 for 6,250 steps and 1 for 97.
    """

    def __init__(self, model: Any, steps: int) -> None:
        self._model = model
        self._steps = steps  # in each epoch of this fit
        self._full_count = model.steps_per_execution
        self._left = steps % self._full_count
        self._full_function: Any = None
        self._short_function: Any = None

    def before(self, begin_step: int) -> None:
        """Called before the call that starts at `begin_step` (0-based, in its epoch)."""
        if not self._left or begin_step + self._full_count <= self._steps:
            return
        model = self._model
        self._full_function = model.train_function
        model.steps_per_execution = self._left  # read when the short function is traced
        if self._short_function is None:
            model.make_train_function(force=True)
            self._short_function = model.train_function
        model.train_function = self._short_function

    def after(self) -> None:
        """Called after each call: the full function back, if the short one ran."""
        if self._full_function is not None:
            self._model.train_function = self._full_function
            self._model.steps_per_execution = self._full_count
            self._full_function = None


class SyncFreeCallbacks(keras.callbacks.CallbackList):
    """`fit`'s callback list, with the recorder's batch ends handed the step's logs as they come,
    and each epoch's last graph call cut to the steps the epoch has left (ShortLastCall).

    Keras's own list converts every batch's logs to Python floats before a callback that has an
    `on_train_batch_end` sees them, and that conversion waits for the device to finish the step:
    one sync per step, where a plain `fit` with no such callback has none. The recorder (its only
    callback) reads the numbers only when an event is due (recorder.RunRecorder), so this list
    passes the logs unconverted; everything else goes through Keras's list as usual.
    """

    def __init__(self, recorder: keras.callbacks.Callback, model: Any, epochs: int, steps: int):
        super().__init__(
            [recorder], add_history=True, add_progbar=False, model=model, verbose=0,
            epochs=epochs, steps=steps,
        )  # fmt: skip
        self._recorder = recorder
        self._last_call = ShortLastCall(model, steps)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._last_call.before(batch)
        super().on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._last_call.after()
        self._recorder.on_train_batch_end(batch, logs)
