"""Per-step overhead: `cifar-tui train` against a bare `model.fit` when a step is nearly free.

On a fast GPU a step of the seed model takes a millisecond or two, so what the framework does
around each step (Python per call, callbacks, the input pipeline's handoff) decides the speed.
There is no GPU here, so this measures the proxy: both sides train a model whose compute is
negligible (uint8 image -> Rescaling -> Flatten -> Dense(10), 31k multiply-adds per image, no
augmentation), so steps/s is all overhead:

- **bare**: `model.fit` over the trainer's own tf.data pipeline, optimizer and learning-rate
  schedule, with only an epoch clock (which leaves Keras's per-batch callback dispatch
  asynchronous, as a plain `fit` has it);
- **trainer**: `cifar-tui train` itself (cli.main in the process), its network swapped for the
  same tiny model: recorder, events, stop checks, per-epoch evaluation and checkpoint as shipped.

Paired as in bench/trainer_vs_keras.py --paired: the two sides of a pair run at the same time,
each pinned to its own CPU, which swap every round; epoch 1 (tracing) is dropped; a round's ratio
is side / bare of that round. `--steps-per-execution` lists the values compared: each gives a
trainer-vs-bare pair, and each value after the first a bare-vs-bare pair (the speed-up of that
many steps per call over the first value).

    .venv/bin/python bench/framework_overhead.py --data-dir ../shared/data [--rounds 4]
        [--train-size 32768] [--batch-size 32] [--epochs 4] [--steps-per-execution 1,16]
        [--control]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchkit import markdown_table, run_events, run_json_script

TINY_MODEL = textwrap.dedent(
    """
    import json, os, sys, time
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import keras
    from cifar_tui.core.training import model as M

    def tiny_model(config, normalization, whitening=None):
        inputs = keras.Input(M.IMAGE_SHAPE, dtype="uint8", name="image")
        scale, offset = normalization.scale_and_offset()
        x = keras.layers.Rescaling(scale, offset, name="standardize")(inputs)
        x = keras.layers.Dense(10, name="logits")(keras.layers.Flatten()(x))
        x = keras.layers.Activation("softmax", dtype="float32", name="probabilities")(x)
        return keras.Model(inputs, x, name="tiny")

    M.build_model = tiny_model
    side, data_dir, models, epochs, train_size, batch, spe = sys.argv[1:8]
    flags = ["--preset", "quick", "--epochs", epochs, "--train-size", train_size,
             "--batch-size", batch, "--steps-per-execution", spe, "--mixed-precision", "off",
             "--rotation-degrees", "0", "--shift-fraction", "0", "--no-horizontal-flip",
             "--lr-schedule", "constant", "--augment-on", "cpu"]
    """
)

# The trainer: `cifar-tui train` in this process (so the swapped model is the one it builds).
TRAINER = TINY_MODEL + textwrap.dedent(
    """
    from cifar_tui.cli import main
    name = f"overhead-{time.monotonic_ns()}"
    code = main(["train", *flags, "--data-dir", data_dir, "--models-dir", models, "--name", name])
    print(json.dumps({"code": code, "run": os.path.join(models, name)}))
    """
)

# The bare side: the same config, model, optimizer and pipeline in a plain `model.fit`.
BARE = TINY_MODEL + textwrap.dedent(
    """
    from cifar_tui.core.training import pipeline as P, phases
    from cifar_tui.core.data.cifar10 import load_cifar10
    from cifar_tui.core.data.locate import find_cifar10
    from cifar_tui.core.presets import preset
    from cifar_tui.core.training.schedules import schedule_from_config
    config = preset("quick").replace(epochs=int(epochs), train_size=int(train_size),
                                     batch_size=int(batch), rotation_degrees=0.0,
                                     shift_fraction=0.0, horizontal_flip=False,
                                     lr_schedule="constant", mixed_precision="off")
    data = load_cifar10(find_cifar10(data_dir), train_size=config.train_size)
    keras.utils.set_random_seed(config.seed)
    model = tiny_model(config, M.compute_normalization(data.x_train, False))
    steps = len(data.x_train) // config.batch_size
    M.compile_model(model, config, schedule_from_config(config, steps))  # the trainer's schedule
    model.steps_per_execution = int(spe)
    dataset = P.training_dataset(data.x_train, data.y_train, batch_size=config.batch_size,
                                 seed=config.seed, augmentation=phases.augmentation_of(config),
                                 start_epoch=0, end_epoch=config.epochs)
    rates = []
    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None): self.start = time.perf_counter()
        def on_epoch_end(self, epoch, logs=None):
            rates.append(steps / (time.perf_counter() - self.start))
    model.fit(dataset, epochs=config.epochs, steps_per_epoch=steps, verbose=0, shuffle=False,
              callbacks=[Clock()])
    print(json.dumps(rates))
    """
)


def steps_per_second(
    side: str, args: argparse.Namespace, spe: int, cpu: int, models: Path
) -> float:
    """Mean training steps/s over epochs 2..N of one side, pinned to `cpu`."""
    argv = (side, args.data_dir, str(models), str(args.epochs), str(args.train_size),
            str(args.batch_size), str(spe))  # fmt: skip
    if side == "bare":
        return statistics.mean(run_json_script(BARE, *argv, cpu=cpu)[1:])
    result = run_json_script(TRAINER, *argv, cpu=cpu)
    if result["code"] != 0:
        raise RuntimeError(f"cifar-tui train exited with {result['code']}")
    ended = run_events(Path(result["run"]), "epoch_ended")[1:]
    return statistics.mean(e.images_per_second / args.batch_size for e in ended)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--train-size", type=int, default=32768)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--steps-per-execution", default="1,16", help="values compared, e.g. 1,16")
    parser.add_argument(
        "--control", action="store_true", help="also pair the bare side with itself"
    )
    args = parser.parse_args()
    values = [int(value) for value in args.steps_per_execution.split(",")]
    # (name, (side, spe) of the reference, (side, spe) measured against it)
    pairs = [(f"`cifar-tui train` vs bare `model.fit`, {n} step(s) per call",
              ("bare", n), ("trainer", n)) for n in values]  # fmt: skip
    pairs += [(f"bare `model.fit`: {n} vs {values[0]} step(s) per call",
               ("bare", values[0]), ("bare", n)) for n in values[1:]]  # fmt: skip
    if args.control:  # how far apart two identical sides land: the ratios' noise floor
        pairs.append(("bare vs bare (A/A control)", ("bare", values[0]), ("bare", values[0])))
    measured: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in pairs}
    with tempfile.TemporaryDirectory() as models, ThreadPoolExecutor(2) as pool:
        for round_number in range(args.rounds):
            cpus = (round_number % 2, 1 - round_number % 2)
            for name, first, second in pairs:
                futures = [
                    pool.submit(steps_per_second, side, args, spe, cpu, Path(models))
                    for (side, spe), cpu in zip((first, second), cpus, strict=True)
                ]
                reference, side_rate = (future.result() for future in futures)
                measured[name].append((reference, side_rate))
    print(f"tiny model (Flatten + Dense(10)), {args.train_size} images, batch {args.batch_size}, "
          f"epochs 2-{args.epochs}, {args.rounds} rounds, each pair at the same time on one CPU "
          "each (training steps/s)\n")  # fmt: skip
    header = ("pair", "reference steps/s per round", "side steps/s per round", "ratio per round",
              "ratio: median", "ratio: mean", "side: us per step")  # fmt: skip
    rows = []
    for name, rounds in measured.items():
        ratios = [side / reference for reference, side in rounds]
        rows.append((name, ", ".join(f"{reference:.0f}" for reference, _ in rounds),
                     ", ".join(f"{side:.0f}" for _, side in rounds),
                     ", ".join(f"{ratio:.3f}" for ratio in ratios),
                     f"{statistics.median(ratios):.3f}", f"{statistics.mean(ratios):.3f}",
                     f"{1e6 / statistics.mean(side for _, side in rounds):.0f}"))  # fmt: skip
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
