"""Where one epoch of each preset spends its time, in the real trainer (`cifar-tui train`).

Runs `cifar-tui train` in this process (the real CLI and trainer, 3 epochs on a subset of the real
archive) with timers wrapped around Keras's train function, its per-epoch `predict` calls and
the trainer's checkpoint writing, and reports per preset:

- the step time inside the compiled train function (median, p99, max) and the *Python overhead
  per step*: wall time between two train-function calls (Keras's loop, our callback, events);
- *stalls*: steps after the first one of the run that took over 3x the median (a retrace or an
  input-pipeline stall shows up here), and the first step of each epoch;
- *recompilation*: the train function's and `predict`'s time in epoch 1 against later epochs (a
  function retraced every epoch would keep epoch 1's cost);
- *host-to-device bytes per step*: the input batch as the pipeline hands it over (uint8);
- the per-epoch end work: validation/test `predict` and checkpoint + model.keras.

    .venv/bin/python bench/profile_epoch.py --data-dir ../shared/data [--presets recipe-2018,fast]
        [--train-size 8192] [--epochs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class Timers:
    """Per-epoch lists of step times, gaps between steps, and end-of-epoch work."""

    def __init__(self) -> None:
        self.epoch = 0
        self.step_seconds: dict[int, list[float]] = defaultdict(list)
        self.gap_seconds: dict[int, list[float]] = defaultdict(list)
        self.predict_seconds: dict[int, float] = defaultdict(float)
        self.save_seconds: dict[int, float] = defaultdict(float)
        self.batch_bytes = 0
        self._last_return: float | None = None

    def wrap_train_function(self, function):  # noqa: ANN001, ANN201 - Keras's plain callable
        def timed(iterator):  # noqa: ANN001, ANN202
            start = time.perf_counter()
            if self._last_return is not None:
                self.gap_seconds[self.epoch].append(start - self._last_return)
            result = function(iterator)
            self._last_return = time.perf_counter()
            self.step_seconds[self.epoch].append(self._last_return - start)
            if not self.batch_bytes:
                spec = iterator.element_spec[0]
                self.batch_bytes = spec.shape.num_elements() or 0
                self.batch_bytes *= spec.dtype.size
            return result

        return timed


def profile(preset: str, data_dir: str, train_size: int, epochs: int, models: Path) -> Timers:
    import keras

    from cifar_tui import cli
    from cifar_tui.core.rundir import checkpoints
    from cifar_tui.core.training import recorder

    timers = Timers()
    trainer_class = keras.Model.__mro__[1]  # the backend's trainer (TensorFlowTrainer)
    make_train_function = trainer_class.make_train_function

    def patched_make(self, force=False):  # noqa: ANN001, ANN202
        make_train_function(self, force)  # sets self.train_function (returns None when new)
        function = self.train_function
        if not getattr(function, "_profiled", False):
            self.train_function = timers.wrap_train_function(function)
            self.train_function._profiled = True
        return self.train_function

    predict = recorder.predict_probabilities
    save = checkpoints.save_checkpoint
    epoch_begin = recorder.RunRecorder.on_epoch_begin

    def timed_predict(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        start = time.perf_counter()
        try:
            return predict(*args, **kwargs)
        finally:
            timers.predict_seconds[timers.epoch] += time.perf_counter() - start

    def timed_save(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        start = time.perf_counter()
        try:
            return save(*args, **kwargs)
        finally:
            timers.save_seconds[timers.epoch] += time.perf_counter() - start

    def on_epoch_begin(self, epoch, logs=None):  # noqa: ANN001, ANN202
        timers.epoch = epoch + 1
        timers._last_return = None  # the gap across the epoch end is end-of-epoch work
        return epoch_begin(self, epoch, logs)

    trainer_class.make_train_function = patched_make
    recorder.predict_probabilities = timed_predict
    checkpoints.save_checkpoint = timed_save
    recorder.RunRecorder.on_epoch_begin = on_epoch_begin
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the trainer's own epoch lines
            code = cli.main(["train", "--preset", preset, "--epochs", str(epochs), "--train-size",
                         str(train_size), "--data-dir", data_dir, "--models-dir", str(models),
                             "--name", f"profile-{preset}"])  # fmt: skip
    finally:
        trainer_class.make_train_function = make_train_function
        recorder.predict_probabilities = predict
        checkpoints.save_checkpoint = save
        recorder.RunRecorder.on_epoch_begin = epoch_begin
    if code:
        raise SystemExit(f"cifar-tui train --preset {preset} exited with {code}")
    return timers


def report(preset: str, timers: Timers) -> None:
    epochs = sorted(timers.step_seconds)
    later = [s for epoch in epochs for s in timers.step_seconds[epoch]][1:]
    median = statistics.median(later)
    steps_sorted = sorted(later)
    p99 = steps_sorted[int(0.99 * (len(steps_sorted) - 1))]
    gaps = [g for epoch in epochs for g in timers.gap_seconds[epoch]]
    overhead = statistics.median(gaps)
    stalls = sum(1 for s in later if s > 3 * median)
    print(f"\n{preset}: {len(later) + 1} steps over {len(epochs)} epochs, "
          f"{timers.batch_bytes / 1024:.0f} KiB of input per step (uint8)\n")  # fmt: skip
    print("| epoch | steps | step: median ms | first step ms | Python between steps: median ms "
          "(share) | predict s | checkpoint s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for epoch in epochs:
        steps = timers.step_seconds[epoch]
        gap = statistics.median(timers.gap_seconds[epoch] or [0.0])
        step = statistics.median(steps)
        print(f"| {epoch} | {len(steps)} | {1000 * step:.1f} | {1000 * steps[0]:.0f} | "
              f"{1000 * gap:.2f} ({100 * gap / (gap + step):.1f}%) | "
              f"{timers.predict_seconds[epoch]:.2f} | "
              f"{timers.save_seconds[epoch]:.2f} |")  # fmt: skip
    print(
        f"\nsteps after the first: median {1000 * median:.1f} ms, p99 {1000 * p99:.1f} ms, "
        f"max {1000 * max(later):.1f} ms; {stalls} over 3x the median; Python between steps "
        f"{1000 * overhead:.2f} ms = {100 * overhead / (overhead + median):.1f}% of a step"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--presets", default="recipe-2018,fast")
    parser.add_argument("--train-size", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    for preset in args.presets.split(","):
        with tempfile.TemporaryDirectory() as models:
            timers = profile(preset, args.data_dir, args.train_size, args.epochs, Path(models))
        report(preset, timers)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
