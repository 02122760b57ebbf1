"""Write SVG screenshots of every pane of the real app over a runs folder (for the README).

    .venv/bin/python docs/screenshots.py --models-dir DIR --run NAME --data-dir ../shared/data

It drives the app with Textual's Pilot at 120x40 (and the monitor at 80x24 too) and saves the
screens under docs/; no TensorFlow is imported.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

# Headless Textual assumes 16 colours unless told otherwise; the README shows a truecolor terminal.
os.environ.setdefault("COLORTERM", "truecolor")

from cifar_tui.app import make_app  # noqa: E402

DOCS = Path(__file__).parent
# (file name, start screen, keys pressed before the shot, terminal size)
SHOTS = [
    ("runs", "runs", [], (120, 40)),
    ("monitor", "monitor", [], (120, 40)),
    ("monitor-80x24", "monitor", [], (80, 24)),
    ("browser", "browse", [], (120, 40)),
    ("browser-misclassified", "browse", ["m", "s"], (120, 40)),
    ("confusion", "browse", ["c"], (120, 40)),
    ("augmentation", "browse", ["a"], (120, 40)),
    ("config", "config", [], (120, 40)),
    ("help", "runs", ["question_mark"], (120, 40)),
]


async def shoot(models_dir: Path, run: str, data_dir: str | None, only: set[str]) -> None:
    for name, screen, keys, size in SHOTS:
        if only and name not in only:
            continue
        app = make_app(models_dir, data_dir, open_run=run, start_screen=screen)
        async with app.run_test(size=size) as pilot:
            await pilot.pause(2.5)  # workers load predictions and test images
            for key in keys:
                await pilot.press(key)
                await pilot.pause(0.5)
            await pilot.pause(1.0)
            app.save_screenshot(str(DOCS / f"{name}.svg"))
        print(f"docs/{name}.svg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--run", required=True)
    parser.add_argument("--data-dir")
    parser.add_argument("--only", default="", help="comma-separated shot names")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    asyncio.run(shoot(args.models_dir, args.run, args.data_dir, only))


if __name__ == "__main__":
    main()
