"""Steady-state training speed of each preset and precision/XLA variant, via `cifar-tui train`.

Each (preset, variant) trains 2 epochs on a fixed subset of the real archive in its own process,
all one after another in one run; epoch 1 (tracing, warm-up) is dropped, epoch 2 gives the
steady-state images/s, and seconds per full 50,000-image epoch are projected from it (plus the
measured per-epoch evaluation time). The ratio column compares each variant with the preset's
first variant (the default: precision `auto`, no XLA), measured minutes apart in the same run.

    .venv/bin/python bench/presets.py --data-dir ../shared/data [--train-size 10240]
        [--presets recipe-2018,fast] [--variants default,fp32,xla,fp32+xla] [-- more train flags]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from benchkit import cifar_tui_argv, markdown_table, run_events

FULL_EPOCH_IMAGES = 50_000

# What each variant adds to the `cifar-tui train` command line.
VARIANTS = {
    "default": [],
    "fp32": ["--mixed-precision", "off"],
    "bf16": ["--mixed-precision", "bf16"],
    "xla": ["--jit-compile"],
    "fp32+xla": ["--mixed-precision", "off", "--jit-compile"],
}


def measure(preset: str, data_dir: str, train_size: int, models: Path, extra: list[str]) -> dict:
    name = f"bench-{len(list(models.iterdir()))}"
    command = cifar_tui_argv("train", "--preset", preset, "--epochs", "2", "--train-size",
                             str(train_size), "--data-dir", data_dir, "--models-dir",
                             str(models), "--name", name, *extra)  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    started = run_events(models / name, "run_started")[0]
    epoch = run_events(models / name, "epoch_ended")[-1]
    evaluation = epoch.seconds - epoch.train_seconds
    images_per_second = epoch.images_per_second
    return {
        "preset": preset,
        "variant": "",
        "precision": started.mixed_precision,
        "XLA": "yes" if started.config["jit_compile"] else "no",
        "batch": started.config["batch_size"],
        "images/s": images_per_second,
        "s/epoch (50k)": FULL_EPOCH_IMAGES / images_per_second + evaluation,
        "first batch s": epoch.first_batch_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--train-size", type=int, default=10240)
    parser.add_argument("--presets", default="recipe-2018,fast")
    parser.add_argument("--variants", default="default,fp32", help=", ".join(VARIANTS))
    parser.add_argument("extra", nargs="*", help="more `cifar-tui train` flags for every run")
    args = parser.parse_args()
    variants = args.variants.split(",")
    unknown = [variant for variant in variants if variant not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant {unknown[0]!r}; choose from {', '.join(VARIANTS)}")
    rows = []
    with tempfile.TemporaryDirectory() as models:
        for preset in args.presets.split(","):
            first = None
            for variant in variants:
                row = measure(preset, args.data_dir, args.train_size, Path(models),
                              VARIANTS[variant] + args.extra)  # fmt: skip
                row["variant"] = variant
                first = first or row["images/s"]
                row["ratio"] = f"{row['images/s'] / first:.2f}x"
                rows.append(row)
    print(markdown_table(list(rows[0]), [
        [f"{v:.2f}" if isinstance(v, float) and v < 10 else
         f"{v:.0f}" if isinstance(v, float) else str(v) for v in row.values()]
        for row in rows
    ]))  # fmt: skip


if __name__ == "__main__":
    main()
