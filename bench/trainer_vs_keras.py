"""Steady-state training speed of `cifar-tui train` against a bare `model.fit` of the same model.

Both sides use the same network (cifar_tui.core.training.model), the same uint8 tf.data pipeline
with the same augmentation (cifar_tui.core.training.pipeline), the same precision and batch size;
the bare side has no callbacks, no events, no per-epoch evaluation or checkpoint. Each side
trains in its own process, in rounds (A B C, then B C A, ...) so that every side sees the same
machine and none always runs first; epoch 1 (tracing) is dropped and the rest of the epochs'
*training* images/s are averaged.

A third side (`--with-app`) runs `cifar-tui train` again with the app attached: `cifar-tui watch
RUN` in a real pseudo-terminal at 120x40, its output read and thrown away as a terminal would,
for the whole run. Each round gives one ratio per side (its mean over the bare side's mean of
that round); the table reports the median and the range over the rounds, since a 2-core machine
drifts by more than the gap being measured.

    .venv/bin/python bench/trainer_vs_keras.py --data-dir ../shared/data [--preset recipe-2018]
        [--train-size 8192] [--epochs 3] [--rounds 3] [--with-app] [--control] [--paired]
        [--app-cpu float|shared] [--app-priority idle|normal|both]

The app runs as shipped, under SCHED_IDLE (core/host/priority.py); `--app-priority both` adds a side
with the app at normal priority, to compare the two in the same run.

--paired (the way BENCHMARKS.md reports now) runs the sides of each pair at the same time,
each pinned to its own CPU; see `paired`.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchkit import Terminal, cifar_tui_argv, markdown_table, pinned, run_events, run_json_script

# The bare side: what a user would write directly against Keras with our model and pipeline.
PLAIN_KERAS = textwrap.dedent(
    """
    import json, os, sys, time
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import keras, tensorflow as tf
    from cifar_tui.core.training import model as M
    from cifar_tui.core.training import pipeline as P
    from cifar_tui.core.training import tfenv
    from cifar_tui.core.data.cifar10 import load_cifar10
    from cifar_tui.core.data.locate import find_cifar10
    from cifar_tui.core.presets import preset
    config = preset(sys.argv[1]).replace(epochs=int(sys.argv[3]), train_size=int(sys.argv[4]))
    data = load_cifar10(find_cifar10(sys.argv[2]), train_size=config.train_size)
    policy = tfenv.choose_precision(config.mixed_precision, False, tfenv.cpu_supports_bf16())
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(config.seed)
    norm = M.compute_normalization(data.x_train, config.architecture.startswith("airbench"))
    model = M.build_model(config, norm)
    M.compile_model(model, config, config.learning_rate)
    steps = len(data.x_train) // config.batch_size
    aug = P.Augmentation(config.rotation_degrees, config.shift_fraction, config.horizontal_flip,
                         config.crop_padding, config.cutout)
    dataset = P.training_dataset(data.x_train, data.y_train, batch_size=config.batch_size,
                                 seed=0, augmentation=aug, start_epoch=0, end_epoch=config.epochs)
    rates = []
    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None): self.start = time.perf_counter()
        def on_epoch_end(self, epoch, logs=None):
            rates.append(steps * config.batch_size / (time.perf_counter() - self.start))
    model.fit(dataset, epochs=config.epochs, steps_per_epoch=steps, verbose=0, callbacks=[Clock()])
    print(json.dumps(rates))
    """
)


# The bare script once more, as its own side: how far apart two identical sides land on this
# machine, which is the smallest gap the other ratios can show.
CONTROL = "plain Keras `model.fit` again (A/A control)"
WATCHED = "`cifar-tui train`, app attached (120x40 pty)"
# The same at the app's old priority (`--app-priority normal`): it competes with the trainer.
WATCHED_NORMAL = "`cifar-tui train`, app attached at normal priority"


def plain_keras(
    preset: str, data_dir: str, epochs: int, train_size: int, cpu: int | None = None
) -> list[float]:
    rates = run_json_script(PLAIN_KERAS, preset, data_dir, str(epochs), str(train_size), cpu=cpu)
    return rates[1:]


def cifar_tui(
    preset: str,
    data_dir: str,
    epochs: int,
    train_size: int,
    models: Path,
    with_app: bool = False,
    cpu: int | None = None,
    app_cpu: int | None = None,
    app_priority: str = "idle",
) -> list[tuple[float, float]]:
    name = f"bench-{time.monotonic_ns()}"  # unique, also when two sides start at once
    trainer = subprocess.Popen(
        [*pinned(cpu), *cifar_tui_argv("train", "--preset", preset, "--epochs", str(epochs),
         "--train-size", str(train_size), "--data-dir", data_dir, "--models-dir", str(models),
         "--name", name)],
        stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if with_app:
        watch_in_pty(models, name, trainer, app_cpu, app_priority)
    if trainer.wait() != 0:
        raise RuntimeError(f"cifar-tui train exited with {trainer.returncode}")
    epochs_ended = run_events(models / name, "epoch_ended")[1:]
    # Training images/s, and the same over the whole epoch incl. evaluation and checkpoint.
    return [(e.images_per_second, e.images_per_second * e.train_seconds / e.seconds)
            for e in epochs_ended]  # fmt: skip


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def watch_in_pty(
    models: Path,
    name: str,
    trainer: subprocess.Popen,
    cpu: int | None = None,
    priority: str = "idle",
) -> None:
    """Run `cifar-tui watch --app-priority PRIORITY` on the run in a 120x40 pty until the
    trainer exits (on `cpu` only, if given; else wherever the scheduler puts it).

    Prints the app's CPU time as a share of one core over the run, to stderr: on a machine whose
    cores the trainers fill, that share is what the app can take from them.
    """
    while not (models / name / "events.jsonl").exists() and trainer.poll() is None:
        time.sleep(0.1)
    started = time.monotonic()
    argv = cifar_tui_argv("watch", name, "--models-dir", str(models), "--app-priority", priority)
    # Its output is read and thrown away as a terminal would (keep: only the last reads).
    terminal = Terminal(argv, 120, 40, synchronized_output=False, cpu=cpu, keep=5)
    try:
        terminal.pump(math.inf, lambda _now: trainer.poll() is not None, poll=0.1)
        used, seconds = cpu_seconds(terminal.pid), time.monotonic() - started
        print(f"app ({priority}): {used:.1f} s of CPU in {seconds:.0f} s "
              f"({100 * used / seconds:.1f}% of a core, startup included)",
              file=sys.stderr, flush=True)  # fmt: skip
    finally:
        terminal.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--preset", default="recipe-2018")
    parser.add_argument("--train-size", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--with-app", action="store_true", help="also train with the app watching")
    parser.add_argument(
        "--app-cpu", choices=("float", "shared"), default="float",
        help="--paired --with-app: the app floats over both CPUs, or shares the watched side's",
    )  # fmt: skip
    parser.add_argument(
        "--app-priority", choices=("idle", "normal", "both"), default="idle",
        help="--with-app: the app's --app-priority; both: a watched side for each",
    )  # fmt: skip
    parser.add_argument(
        "--control", action="store_true",
        help="also run the bare script a second time (an A/A side: the ratio's noise floor)",
    )  # fmt: skip
    parser.add_argument(
        "--paired", action="store_true",
        help="run the two sides at the same time, each pinned to its own CPU (swapped each round)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.paired:
        paired(args)
        return
    sides = ["plain Keras `model.fit`", "`cifar-tui train`"]
    if args.with_app:
        sides += watched_sides(args.app_priority)
    if args.control:
        sides.append(CONTROL)
    rates: dict[str, list[list[float]]] = {side: [] for side in sides}
    whole: list[float] = []
    with tempfile.TemporaryDirectory() as models:
        for round_number in range(args.rounds):
            # Each round runs every side once, starting one side later than the round before
            # (A B C, B C A, C A B, ...), so no side always runs first or after the same one.
            shift = round_number % len(sides)
            for side in sides[shift:] + sides[:shift]:
                if side in (sides[0], CONTROL):
                    rates[side].append(
                        plain_keras(args.preset, args.data_dir, args.epochs, args.train_size)
                    )
                    continue
                measured = cifar_tui(args.preset, args.data_dir, args.epochs, args.train_size,
                                     Path(models), with_app=side in (WATCHED, WATCHED_NORMAL),
                                     app_priority=WATCHED_PRIORITY[side])  # fmt: skip
                rates[side].append([rate for rate, _ in measured])
                if side not in (WATCHED, WATCHED_NORMAL):
                    whole += [rate for _, rate in measured]
    bare_means = [statistics.mean(round_rates) for round_rates in rates[sides[0]]]
    print(f"{args.preset}, {args.train_size} images, epochs 2-{args.epochs}, {args.rounds} rounds "
          "(training images/s; ratio = side / plain Keras in the same round)\n")  # fmt: skip
    table = []
    for side in sides:
        means = [statistics.mean(round_rates) for round_rates in rates[side]]
        ratios = [mean / bare for mean, bare in zip(means, bare_means, strict=True)]
        table.append((side, f"{statistics.mean(means):.0f}",
                      ", ".join(f"{mean:.0f}" for mean in means),
                      f"{statistics.median(ratios):.3f}",
                      f"{min(ratios):.3f}-{max(ratios):.3f}"))  # fmt: skip
    header = ("side", "train img/s (mean)", "per round", "ratio: median", "ratio: range")
    print(markdown_table(header, table))
    print(
        f"\n`cifar-tui train` over the whole epoch incl. evaluation + checkpoint: "
        f"{statistics.mean(whole):.0f} img/s"
    )


WATCHED_PRIORITY = {"`cifar-tui train`": "idle", WATCHED: "idle", WATCHED_NORMAL: "normal"}


def watched_sides(app_priority: str) -> list[str]:
    """The watched sides that --app-priority asks for (idle, normal or both)."""
    return {"idle": [WATCHED], "normal": [WATCHED_NORMAL], "both": [WATCHED, WATCHED_NORMAL]}[
        app_priority
    ]


def paired(args: argparse.Namespace) -> None:
    """Each round trains the bare script and `cifar-tui train` at once, one per CPU.

    Run one after the other, a side's rate moves between processes with load that comes and
    goes, by more than the gap measured (the A/A control; BENCHMARKS.md has the figures). At
    the same time, both see the same moments; the CPUs swap every round so neither side keeps
    the better one. With --control, each round also pairs the bare script with itself: the noise
    floor of this way of measuring.

    With --with-app, each round also pairs the bare script with `cifar-tui train` watched by the
    app in a 120x40 pty. With --app-cpu float the app is not pinned: it floats over both CPUs, as
    it would on a server, and the scheduler decides which side its CPU time (printed per run)
    comes out of, so part of it is charged to the bare side. With --app-cpu shared it runs on the
    watched trainer's CPU only: all it costs is charged to the watched side, as on a machine with
    one CPU (the strictest reading; with N CPUs for one trainer, the app's share is 1/N of this).
    """
    pairs = [("plain Keras `model.fit`", "`cifar-tui train`")]
    if args.with_app:
        pairs += [("plain Keras `model.fit`", side) for side in watched_sides(args.app_priority)]
    if args.control:
        pairs.append(("plain Keras `model.fit`", CONTROL))
    ratios: dict[str, list[float]] = {second: [] for _, second in pairs}
    rates: dict[str, list[float]] = {second: [] for _, second in pairs}
    bare_rates: dict[str, list[float]] = {second: [] for _, second in pairs}

    def measure(side: str, cpu: int, models: Path) -> float:
        """The side's mean training images/s over epochs 2..N, pinned to `cpu`."""
        if side in ("`cifar-tui train`", WATCHED, WATCHED_NORMAL):
            app_cpu = cpu if args.app_cpu == "shared" else None
            measured = cifar_tui(args.preset, args.data_dir, args.epochs, args.train_size,
                                 models, with_app=side != "`cifar-tui train`", cpu=cpu,
                                 app_cpu=app_cpu,
                                 app_priority=WATCHED_PRIORITY[side])  # fmt: skip
            return statistics.mean(rate for rate, _ in measured)
        return statistics.mean(
            plain_keras(args.preset, args.data_dir, args.epochs, args.train_size, cpu=cpu)
        )

    with tempfile.TemporaryDirectory() as models, ThreadPoolExecutor(2) as pool:
        for round_number in range(args.rounds):
            for first, second in pairs:
                cpus = (round_number % 2, 1 - round_number % 2)
                bare, side = (
                    pool.submit(measure, name, cpu, Path(models))
                    for name, cpu in zip((first, second), cpus, strict=True)
                )
                bare_rates[second].append(bare.result())
                rates[second].append(side.result())
                ratios[second].append(side.result() / bare.result())
    where = "on the watched side's CPU" if args.app_cpu == "shared" else "floating"
    app = f"; the app {where}"
    print(f"{args.preset}, {args.train_size} images, epochs 2-{args.epochs}, {args.rounds} rounds, "
          f"each pair at the same time on one CPU each{app if args.with_app else ''} "
          "(training images/s)\n")  # fmt: skip
    header = ("pair", "bare img/s per round", "side img/s per round", "ratio per round",
              "ratio: median", "ratio: mean")  # fmt: skip
    print(markdown_table(header, [
        (f"{second} vs {first}", ", ".join(f"{r:.0f}" for r in bare_rates[second]),
         ", ".join(f"{r:.0f}" for r in rates[second]),
         ", ".join(f"{r:.3f}" for r in ratios[second]),
         f"{statistics.median(ratios[second]):.3f}", f"{statistics.mean(ratios[second]):.3f}")
        for first, second in pairs
    ]))  # fmt: skip


if __name__ == "__main__":
    main()
