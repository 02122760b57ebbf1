"""Steady-state training speed of each preset on the real archive, via the real `cifar-tui train`.

Each preset trains 2 epochs on a fixed subset in its own process, one after another in one run;
epoch 1 (tracing, warm-up) is dropped, epoch 2 gives the steady-state images/s, and seconds per
full 50,000-image epoch are projected from it (plus the measured per-epoch evaluation time).

    .venv/bin/python bench/presets.py --data-dir ../shared/data \
        [--train-size 10240] [--presets fast,recipe-2018]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

FULL_EPOCH_IMAGES = 50_000


def measure(preset: str, data_dir: str, train_size: int, models: Path, extra: list[str]) -> dict:
    name = f"bench-{preset}"
    command = [sys.executable, "-m", "cifar_tui", "train", "--preset", preset, "--epochs", "2",
               "--train-size", str(train_size), "--data-dir", data_dir, "--models-dir",
               str(models), "--name", name, *extra]  # fmt: skip
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    events = [
        json.loads(line) for line in (models / name / "events.jsonl").read_text().splitlines()
    ]
    started = next(e for e in events if e["type"] == "run_started")
    epoch = [e for e in events if e["type"] == "epoch_ended"][-1]
    evaluation = epoch["seconds"] - epoch["train_seconds"]
    images_per_second = epoch["images_per_second"]
    return {
        "preset": preset,
        "precision": started["mixed_precision"],
        "batch": started["config"]["batch_size"],
        "images/s": images_per_second,
        "s/epoch (50k)": FULL_EPOCH_IMAGES / images_per_second + evaluation,
        "first batch s": epoch["first_batch_seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--train-size", type=int, default=10240)
    parser.add_argument("--presets", default="recipe-2018,fast")
    parser.add_argument("extra", nargs="*", help="more `cifar-tui train` flags for every preset")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as models:
        for preset in args.presets.split(","):
            rows.append(measure(preset, args.data_dir, args.train_size, Path(models), args.extra))
    columns = list(rows[0])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        cells = [f"{v:.2f}" if isinstance(v, float) and v < 10 else
                 f"{v:.0f}" if isinstance(v, float) else str(v) for v in row.values()]  # fmt: skip
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
