"""What the trainer's device sampler costs: `cifar-tui train` with it against the same without.

The sampler (core/host/device_sampler.py) reads the trainer's devices about once a second in a
thread. Each round trains both sides at once, each pinned to its own CPU (the CPUs swap every
round), as trainer_vs_keras.py --paired does: on a shared 2-core machine, load that comes and
goes moves one side's rate between rounds by more than the gap measured, but both sides of a
pair see the same moments. "without" runs the same trainer with `start_device_sampler`
replaced by a sampler-less context (its epoch_ended has no device_use). With --control each
round also pairs "with" against "with": the noise floor of this way of measuring.

    .venv/bin/python bench/sampler_overhead.py --data-dir ../shared/data [--preset quick]
        [--train-size 4096] [--epochs 3] [--rounds 4] [--control]
    .venv/bin/python bench/sampler_overhead.py --data-dir ../shared/data --in-process 300
        [--rounds 9]

Epoch 1 (tracing) is dropped; a side's figure is its mean training images/s over epochs 2..N.
It also prints the cost of one reading (CpuProbe.read) on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchkit import markdown_table, pinned, run_events

WITHOUT_SAMPLER = """
import contextlib, sys
from cifar_tui.core.training import trainer
trainer.start_device_sampler = lambda gpu_count: contextlib.nullcontext(None)
from cifar_tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def train(side: str, args: argparse.Namespace, models: Path, cpu: int) -> float:
    """Mean training images/s over epochs 2..N of one `cifar-tui train` run of `side`."""
    name = f"bench-{time.monotonic_ns()}"
    launcher = ["-m", "cifar_tui"] if side == "with" else ["-c", WITHOUT_SAMPLER]
    command = [*pinned(cpu), sys.executable, *launcher, "train", "--preset", args.preset,
               "--epochs", str(args.epochs), "--train-size", str(args.train_size),
               "--data-dir", args.data_dir, "--models-dir", str(models),
               "--name", name]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    epochs = run_events(models / name, "epoch_ended")[1:]
    if (side == "with") != all(e.device_use is not None for e in epochs):
        raise RuntimeError(f"side {side!r}: device_use is not as expected in {models / name}")
    return statistics.mean(e.images_per_second for e in epochs)


def reading_cost(count: int = 2000) -> float:
    """Microseconds one CpuProbe reading takes here (what the thread does once a second)."""
    from cifar_tui.core.host.telemetry import CpuProbe

    probe = CpuProbe()
    start = time.perf_counter()
    for _ in range(count):
        probe.read()
    return (time.perf_counter() - start) / count * 1e6


def in_process(rounds: int, steps: int) -> None:
    """One process, one small model: blocks of `steps` steps with no sampler, with the sampler
    at its 1 Hz, and at 100 Hz (100x the readings: an upper bound), in rotating order.

    Blocks seconds apart see the same machine, so this resolves far smaller gaps than separate
    processes on a shared machine do; the model is small (steps of a few ms) so that a cost per
    second weighs as much as it can.
    """
    import numpy as np
    import tensorflow as tf

    from cifar_tui.core.host.device_sampler import DeviceSampler
    from cifar_tui.core.host.telemetry import CpuProbe

    inputs = tf.keras.Input((32, 32, 3))
    hidden = tf.keras.layers.Conv2D(16, 3, activation="relu")(inputs)
    hidden = tf.keras.layers.GlobalAveragePooling2D()(hidden)
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(10, activation="softmax")(hidden))
    model.compile("sgd", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    images = rng.random((1024, 32, 32, 3), dtype=np.float32)
    labels = rng.integers(0, 10, 1024)
    data = tf.data.Dataset.from_tensor_slices((images, labels)).batch(128).repeat().prefetch(2)
    model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)  # trace and warm up
    sides = {"no sampler": None, "1 Hz (as shipped)": 1.0, "100 Hz": 0.01}
    rates: dict[str, list[float]] = {side: [] for side in sides}
    cpu: dict[str, list[float]] = {side: [] for side in sides}
    for round_number in range(rounds):
        names = list(sides)
        names = names[round_number % 3 :] + names[: round_number % 3]
        for side in names:
            interval = sides[side]
            sampler = None if interval is None else DeviceSampler(CpuProbe(), interval=interval)
            start, cpu_start = time.perf_counter(), time.process_time()
            model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0)
            rates[side].append(steps * 128 / (time.perf_counter() - start))
            # CPU time of the whole process (all threads) per image: what the sampler adds
            # shows here even when other processes' load moves the wall-clock rate.
            cpu[side].append((time.process_time() - cpu_start) / (steps * 128) * 1e6)
            if sampler is not None:
                sampler.close()
    print(f"in one process, {rounds} rounds of {steps} steps of batch 128 per side\n")
    header = ("side", "median img/s", "img/s ratio to no sampler: median (range)",
              "median CPU us/image", "CPU ratio: median (range)")  # fmt: skip
    print(markdown_table(header, [
        (side, f"{statistics.median(rates[side]):.0f}", _ratios(rates[side], rates["no sampler"]),
         f"{statistics.median(cpu[side]):.1f}", _ratios(cpu[side], cpu["no sampler"]))
        for side in sides
    ]))  # fmt: skip


def _ratios(values: list[float], base: list[float]) -> str:
    ratios = [value / first for value, first in zip(values, base, strict=True)]
    return f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--train-size", type=int, default=4096)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--control", action="store_true")
    parser.add_argument(
        "--in-process",
        type=int,
        metavar="STEPS",
        default=0,
        help="instead: blocks of STEPS steps in one process (see in_process)",
    )
    args = parser.parse_args()
    if args.in_process:
        in_process(args.rounds, args.in_process)
        print(f"\none CpuProbe reading: {reading_cost():.0f} us (once a second)")
        return
    pairs = [("without", "with")] + ([("with", "with")] if args.control else [])
    rows = []
    with tempfile.TemporaryDirectory() as models, ThreadPoolExecutor(2) as pool:
        results: dict[tuple[str, str], list[tuple[float, float]]] = {pair: [] for pair in pairs}
        for round_number in range(args.rounds):
            cpus = (round_number % 2, 1 - round_number % 2)
            for pair in pairs:
                first, second = (
                    pool.submit(train, side, args, Path(models), cpu)
                    for side, cpu in zip(pair, cpus, strict=True)
                )
                results[pair].append((first.result(), second.result()))
    for (first, second), measured in results.items():
        ratios = [b / a for a, b in measured]
        rows.append((
            f"{second} vs {first}", ", ".join(f"{a:.0f}" for a, _ in measured),
            ", ".join(f"{b:.0f}" for _, b in measured), ", ".join(f"{r:.3f}" for r in ratios),
            f"{statistics.median(ratios):.3f}", f"{statistics.mean(ratios):.3f}",
        ))  # fmt: skip
    print(f"{args.preset}, {args.train_size} images, epochs 2-{args.epochs}, {args.rounds} rounds,"
          " each pair at the same time on one CPU each (training images/s)\n")  # fmt: skip
    print(markdown_table(("pair", "first img/s", "second img/s", "ratio per round",
                          "ratio: median", "ratio: mean"), rows))  # fmt: skip
    print(f"\none CpuProbe reading: {reading_cost():.0f} us (once a second)")


if __name__ == "__main__":
    main()
