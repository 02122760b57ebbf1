"""Clean against JPEG quality 75 accuracy of saved runs: the issue-16 robustness goal's two figures.

`cifar-tui evaluate --corruptions` makes 27 passes over the test set; this makes the two the goal
needs (clean, and every image JPEG-compressed at quality 75 by Pillow, as the corruption set's
q75 row is made), over the whole test set, through each run's model.keras as saved, test-time
views included, and for a model with test-time views also through its single view (a row of
its own); `--levels off,flip,flip-translate` measures each model at each of those test-time
augmentation levels instead (the saved weights, wrapped as `--tta LEVEL` would save them).
Prints one row per model and level and, with `--baseline RUN` (a name or a path), each row's
clean cost against the baseline's row at the same level.

    .venv/bin/python bench/jpeg_gap.py /work/runs/airbench94-30 /work/runs/airbench94-jpeg50 \\
        --baseline airbench94-30 --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from benchkit import markdown_table

from cifar_tui.commands.train import load_data
from cifar_tui.core.data.corruptions import REFERENCE_JPEG_QUALITY, jpeg
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.training import inference, tta

GOAL_GAP = 0.03
"""Issue 16: JPEG q75 within 3 points of clean..."""
GOAL_COST = 0.005
"""...at a cost of at most 0.5 points of clean accuracy."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument(
        "--baseline", help="the run whose clean accuracy the others' is compared to"
    )
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument(
        "--levels",
        type=_levels,
        help="comma-separated test-time augmentation levels to measure each model at "
        f"({', '.join(tta.TTA_LEVELS)}); default: the model's own, and off when it has views",
    )
    args = parser.parse_args()
    if args.baseline and Path(args.baseline).name not in {path.name for path in args.runs}:
        parser.error(f"--baseline {args.baseline} is not one of the runs given: add it to them")
    data = load_data(args.data_dir)
    compressed = jpeg(data.x_test, REFERENCE_JPEG_QUALITY)
    measured: dict[tuple[str, str], tuple[float, float, float]] = {}
    for path in args.runs:
        model = inference.load_model(RunFolder(path).model_path)
        for kind, viewed in _views(model, args.levels).items():
            start = time.perf_counter()
            clean = inference.evaluate(viewed, data.x_test, data.y_test).accuracy
            q75 = inference.evaluate(viewed, compressed, data.y_test).accuracy
            measured[path.name, kind] = (clean, q75, time.perf_counter() - start)
    baseline = Path(args.baseline).name if args.baseline else None
    rows = []
    for (name, kind), (clean, q75, seconds) in measured.items():
        base = _baseline_clean(measured, baseline, kind)
        cost = "" if base is None else f"{100 * (base - clean):+.2f}"
        within = clean - q75 <= GOAL_GAP
        met = (
            ("gap only: no baseline" if within else "no")
            if base is None
            else ("yes" if within and base - clean <= GOAL_COST else "no")
        )
        rows.append((name, kind, f"{100 * clean:.2f}", f"{100 * q75:.2f}",
                     f"{100 * (clean - q75):.2f}", cost, met, f"{seconds:.0f}"))  # fmt: skip
    header = ("run", "views", "clean %", f"JPEG q{REFERENCE_JPEG_QUALITY} %", "gap (points)",
              f"clean cost vs {args.baseline or 'a baseline'} (points)", "goal met",
              "seconds")  # fmt: skip
    print(f"{len(data.y_test)} test images; goal: gap <= {100 * GOAL_GAP:g} points at a clean cost "
          f"<= {100 * GOAL_COST:g}\n")  # fmt: skip
    print(markdown_table(header, rows))


def _levels(text: str) -> list[str]:
    levels = [level.strip() for level in text.split(",") if level.strip()]
    unknown = [level for level in levels if level not in tta.TTA_LEVELS]
    if unknown or not levels:
        raise argparse.ArgumentTypeError(
            f"unknown level {', '.join(unknown) or '(none)'}: use {', '.join(tta.TTA_LEVELS)}"
        )
    return levels


def _views(model: Any, levels: list[str] | None) -> dict[str, Any]:
    """The model through each view set to measure, by row label ("single view" for off)."""
    single = tta.single_view(model)
    if levels is None:
        views = {tta.tta_level(model): model}
        if single is not None:
            views["single view"] = single
        return views
    network = single if single is not None else model
    return {
        ("single view" if level == "off" else level): tta.with_tta(network, level)
        for level in levels
    }


def _baseline_clean(
    measured: dict[tuple[str, str], tuple[float, float, float]], baseline: str | None, kind: str
) -> float | None:
    """The baseline's clean accuracy through the same views as `kind` (a network alone is
    compared with the network alone: "off" and "single view" are the same kind)."""
    alone = ("off", "single view")
    for other in (kind, *(alone if kind in alone else ())):
        if (baseline, other) in measured:
            return measured[baseline, other][0]
    return None


if __name__ == "__main__":
    main()
