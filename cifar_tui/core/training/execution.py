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


class SyncFreeCallbacks(keras.callbacks.CallbackList):
    """`fit`'s callback list, with the recorder's batch ends handed the step's logs as they come.

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

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._recorder.on_train_batch_end(batch, logs)
