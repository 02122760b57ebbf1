"""Steady-state training speed of `cifar-tui train` against a bare `model.fit` of the same model.

Both sides use the same network (cifar_tui.core.model), the same uint8 tf.data pipeline with the
same augmentation (cifar_tui.core.pipeline), the same precision and batch size; the bare side has
no callbacks, no events, no per-epoch evaluation or checkpoint. Each side trains in its own
process, alternating A B A B ... so both see the same machine; epoch 1 (tracing) is dropped and
the rest of the epochs' *training* images/s are averaged.

    .venv/bin/python bench/trainer_vs_keras.py --data-dir ../shared/data [--preset recipe-2018]
        [--train-size 8192] [--epochs 3] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

# The bare side: what a user would write directly against Keras with our model and pipeline.
PLAIN_KERAS = textwrap.dedent(
    """
    import json, os, sys, time
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import keras, tensorflow as tf
    from cifar_tui.core import model as M, pipeline as P, tfenv
    from cifar_tui.core.config import preset
    from cifar_tui.core.data import find_cifar10, load_cifar10
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


def plain_keras(preset: str, data_dir: str, epochs: int, train_size: int) -> list[float]:
    result = subprocess.run(
        [sys.executable, "-c", PLAIN_KERAS, preset, data_dir, str(epochs), str(train_size)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])[1:]


def cifar_tui(
    preset: str, data_dir: str, epochs: int, train_size: int, models: Path
) -> list[float]:
    name = f"bench-{len(list(models.iterdir()))}"
    subprocess.run(
        [sys.executable, "-m", "cifar_tui", "train", "--preset", preset, "--epochs", str(epochs),
         "--train-size", str(train_size), "--data-dir", data_dir, "--models-dir", str(models),
         "--name", name],
        check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    lines = (models / name / "events.jsonl").read_text().splitlines()
    epochs_ended = [e for e in map(json.loads, lines) if e["type"] == "epoch_ended"][1:]
    # Training images/s, and the same over the whole epoch incl. evaluation and checkpoint.
    return [(e["images_per_second"], e["images_per_second"] * e["train_seconds"] / e["seconds"])
            for e in epochs_ended]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--preset", default="recipe-2018")
    parser.add_argument("--train-size", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    keras_rates: list[float] = []
    tui_rates: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as models:
        for _ in range(args.rounds):
            keras_rates += plain_keras(args.preset, args.data_dir, args.epochs, args.train_size)
            tui_rates += cifar_tui(args.preset, args.data_dir, args.epochs, args.train_size,
                                   Path(models))  # fmt: skip
    bare = statistics.mean(keras_rates)
    ours = statistics.mean(rate for rate, _ in tui_rates)
    whole = statistics.mean(rate for _, rate in tui_rates)
    print(f"| side ({args.preset}, {args.train_size} images, epochs 2-{args.epochs}, "
          f"{args.rounds} rounds) | train img/s | epochs measured |")  # fmt: skip
    print("|---|---|---|")
    print(f"| plain Keras `model.fit` | {bare:.0f} | {len(keras_rates)} |")
    print(f"| `cifar-tui train` | {ours:.0f} | {len(tui_rates)} |")
    print(f"| ratio cifar-tui / Keras (training) | {ours / bare:.3f} | |")
    print(f"| `cifar-tui train`, whole epoch incl. evaluation + checkpoint | {whole:.0f} | |")


if __name__ == "__main__":
    main()
