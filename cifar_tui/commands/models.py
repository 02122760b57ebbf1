"""The verbs that use a run: evaluate, predict, export (TensorFlow loads lazily)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cifar_tui.commands.train import load_data
from cifar_tui.core.errors import UserError
from cifar_tui.core.paths import require_file
from cifar_tui.core.rundir.atomic import atomic_write_text
from cifar_tui.core.rundir.folder import RunFolder

EXPORT_FILES = ("model.json", "model.weights.h5")
"""What `export` writes into the run folder (inference.export_recipe_format)."""


def _model_path(spec: str, models_dir: Path) -> Path:
    """A RUN or MODEL argument as the .keras file it means."""
    from cifar_tui.core.rundir.listing import resolve_run

    candidate = Path(spec)
    if candidate.suffix == ".keras" or candidate.is_file():
        if not candidate.is_file():
            raise UserError(f"model file {candidate} not found; give a .keras file or a run name")
        return candidate
    run = resolve_run(spec, models_dir)
    if not run.model_path.is_file():
        raise UserError(
            f"run {run.name} has no {run.model_path.name} yet (it saves one at each "
            "epoch end); wait for the first epoch or resume it"
        )
    return run.model_path


def evaluate(args: argparse.Namespace) -> int:
    """`cifar-tui evaluate`: accuracy and loss on the test set or an image folder."""
    from cifar_tui.core.training import inference

    path = _model_path(args.model, args.models_dir)
    inference.check_model_file(path)  # before the slow data load
    if args.images:
        from cifar_tui.core.data.images import load_image_folder

        folder = load_image_folder(args.images)
        images, labels, source = folder.images, folder.labels, str(args.images)
        if folder.skipped:
            print(
                f"skipped {len(folder.skipped)} non-image files in {args.images}", file=sys.stderr
            )
    else:
        data = load_data(getattr(args, "data_dir", None))
        images, labels, source = data.x_test, data.y_test, str(data.source)
    model = inference.load_model(path)
    if getattr(args, "corruptions", False):
        return _evaluate_corruptions(args, path, model, images, labels)
    result = inference.evaluate(model, images, labels)
    # A model with test-time views reports their figure (what it gives back), the single
    # view beside it.
    views, single = inference.single_view_result(model, images, labels)
    if args.json:
        report = {
            "model": str(path),
            "data": source,
            "images": len(labels),
            "accuracy": result.accuracy,
            "loss": result.loss,
        }
        if single is not None:
            report.update(tta=views, single_view_accuracy=single.accuracy)
        print(json.dumps(report))
    else:
        print(f"Test result: {100 * result.accuracy:.3f} loss: {result.loss:.3f}")
        if single is not None:
            print(f"{views} test-time views; single view: {100 * single.accuracy:.3f}")
        print(f"{len(labels)} images from {source}; model {path}")
    return 0


def add_corruption_arguments(evaluate: argparse.ArgumentParser) -> None:
    """`evaluate`'s --corruptions and --corruption-images (cli.py calls this)."""
    evaluate.add_argument(
        "--corruptions",
        action="store_true",
        help="accuracy on CIFAR-10-C-style corrupted copies (JPEG, noise, blur, contrast, "
        "brightness; severities 1-5); a run's result goes to RUN/corruptions.json",
    )
    evaluate.add_argument(
        "--corruption-images",
        type=int,
        metavar="N",
        help="with --corruptions: only the first N test images (quick checks)",
    )


def _evaluate_corruptions(
    args: argparse.Namespace, path: Path, model: Any, images: Any, labels: Any
) -> int:
    """`evaluate --corruptions`: CIFAR-10-C-style accuracies, written beside a run's model."""
    from cifar_tui.core.analysis.robustness_report import report_lines, write_report
    from cifar_tui.core.training.robustness import evaluate_corruptions

    count = getattr(args, "corruption_images", None)
    if count is not None:
        if count < 1:
            raise UserError(f"--corruption-images {count} must be at least 1")
        images, labels = images[:count], labels[:count]

    def progress(line: str) -> None:
        if not args.json and sys.stderr.isatty():
            print(line, file=sys.stderr)

    report = evaluate_corruptions(model, images, labels, str(path), progress)
    in_run = (path.parent / "events.jsonl").is_file()
    written = write_report(path.parent, report) if in_run else None
    if args.json:
        print(json.dumps({**report.to_json(), "written": str(written) if written else None}))
    else:
        print("\n".join(report_lines(report)))
        if written:
            print(f"wrote {written}")
    return 0


def predict(args: argparse.Namespace) -> int:
    """`cifar-tui predict`: the top-3 labels of each image."""
    from cifar_tui.core.data.images import load_image
    from cifar_tui.core.training import inference

    path = _model_path(args.model, args.models_dir)
    images = [load_image(p) for p in args.images]
    model = inference.load_model(path)
    rows = inference.top_labels(model, images, k=3)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "image": str(p),
                        "top": [{"label": label, "probability": prob} for label, prob in top],
                    }
                    for p, top in zip(args.images, rows, strict=True)
                ],
                indent=2,
            )
        )
    else:
        for image_path, top in zip(args.images, rows, strict=True):
            ranked = ", ".join(f"{label} {100 * prob:.1f}%" for label, prob in top)
            print(f"{image_path}: {ranked}")
    return 0


def add_export_parser(verbs: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """The `export` subparser (cli.py calls this with its `_add_common`)."""
    export = verbs.add_parser(
        "export",
        help="write the recipe's format (model.json + weights), or the epoch metrics as CSV "
        "or TensorBoard files",
    )
    add_common(export)
    export.add_argument("run", metavar="RUN", help="run name or run folder")
    export.add_argument(
        "--csv", type=Path, metavar="FILE", help="epoch metrics, one row per epoch (- for stdout)"
    )
    export.add_argument(
        "--tensorboard", type=Path, metavar="DIR", help="epoch metrics as TensorBoard event files"
    )


def export(args: argparse.Namespace) -> int:
    """`cifar-tui export`: the recipe's model.json + weights beside the run (the default), or the
    epoch metrics as CSV (`--csv FILE`, `-` for stdout) and TensorBoard files (`--tensorboard`)."""
    from cifar_tui.core.rundir.listing import resolve_run

    run = resolve_run(args.run, args.models_dir)
    if args.csv is None and args.tensorboard is None:
        return _export_model(run, args.models_dir)
    from cifar_tui.core.rundir.epoch_export import epoch_csv_text, epoch_rows

    events = run.events()
    epochs = len(epoch_rows(events).rows)
    if not epochs:
        print(f"run {run.name} has not ended an epoch yet: no rows", file=sys.stderr)
    if args.csv is not None:
        text = epoch_csv_text(events)
        if str(args.csv) == "-":
            sys.stdout.write(text)
        else:
            atomic_write_text(args.csv, text)
            print(f"wrote {epochs} epochs of {run.name} to {args.csv}", file=sys.stderr)
    if args.tensorboard is not None:
        from cifar_tui.core.training.tensorboard_export import write_scalars

        path, scalars = write_scalars(epoch_rows(events), args.tensorboard)
        print(
            f"wrote {scalars} scalars ({epochs} epochs) of {run.name} to {path}; "
            f"view them with `tensorboard --logdir {args.tensorboard}`",
            file=sys.stderr,
        )
    return 0


def _export_model(run: RunFolder, models_dir: Path) -> int:
    from cifar_tui.core.training import inference

    for output in EXPORT_FILES:  # replaced atomically, so a folder in the way would end in a rename
        require_file(run.path / output, "export output", missing_ok=True, fix="move it away")
    architecture, weights = inference.export_recipe_format(
        _model_path(str(run.path), models_dir), run.path
    )
    print(f"wrote {architecture} and {weights}")
    return 0
