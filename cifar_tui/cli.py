"""The command line: `cifar-tui` (the app) and the argparse of every verb, which commands/ runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cifar_tui import __version__
from cifar_tui.commands import doctor as doctor_verb
from cifar_tui.commands import models as model_verbs
from cifar_tui.commands import queue as queue_verbs
from cifar_tui.commands import runs as run_verbs
from cifar_tui.commands import snapshot as snapshot_verb
from cifar_tui.commands import train as commands_train
from cifar_tui.commands.flags import add_config_arguments
from cifar_tui.core.errors import UserError
from cifar_tui.core.paths import require_dir, require_file, require_path
from cifar_tui.core.presets import PRESETS

DEFAULT_MODELS_DIR = Path("models")
APP_PRIORITIES = ("idle", "normal")


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports bad input in one line (plus where to look) instead of the usage."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each verb's options are listed by `cifar-tui VERB --help`."""
    parser = _OneLineParser(
        prog="cifar-tui",
        description="Train a Keras CNN on CIFAR-10 and watch it from the terminal. "
        "With no verb, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"cifar-tui {__version__}")
    _add_common(parser, suppress=False)
    _add_app_options(parser, suppress=False)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_OneLineParser)

    _add_train_parser(verbs)

    evaluate = verbs.add_parser("evaluate", help="accuracy and loss of a run or model on test data")
    _add_common(evaluate)
    evaluate.add_argument("model", metavar="RUN|MODEL", help="run name, run folder or .keras file")
    evaluate.add_argument(
        "--images",
        type=Path,
        metavar="FOLDER",
        help="evaluate on FOLDER/<class name>/*.png|jpg instead of CIFAR-10",
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    model_verbs.add_corruption_arguments(evaluate)

    predict = verbs.add_parser("predict", help="top-3 labels for image files")
    _add_common(predict)
    predict.add_argument("model", metavar="RUN|MODEL", help="run name, run folder or .keras file")
    predict.add_argument("images", metavar="IMAGE", nargs="+", type=Path, help="PNG/JPEG, any size")
    predict.add_argument("--json", action="store_true", help="print JSON")

    runs = verbs.add_parser("runs", help="list the runs in the models folder")
    _add_common(runs)
    runs.add_argument("--json", action="store_true", help="print JSON")

    model_verbs.add_export_parser(verbs, _add_common)
    snapshot_verb.add_snapshot_parser(verbs, _add_common)

    stop = verbs.add_parser("stop", help="ask a running trainer to checkpoint and stop")
    _add_common(stop)
    stop.add_argument("run", metavar="RUN", help="run name or run folder")

    doctor = verbs.add_parser(
        "doctor", help="check this machine before a long run: versions, GPUs, data, disk"
    )
    _add_common(doctor)

    queue_verbs.add_queue_parser(verbs, _add_common)

    for verb, what in (("watch", "training monitor"), ("browse", "prediction browser")):
        view = verbs.add_parser(verb, help=f"open the app on RUN's {what}")
        _add_common(view)
        _add_app_options(view)
        view.add_argument("run", metavar="RUN", help="run name or run folder")
    return parser


def _add_train_parser(verbs: Any) -> None:
    """The `train` subparser: its own options, then one flag per config field."""
    train = verbs.add_parser("train", help="train headless into a run folder (no TTY needed)")
    _add_common(train)
    train.add_argument("--config", type=Path, help="TOML config file (see a run's config.toml)")
    train.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="start from this preset (default: recipe-2018, or the preset the --config file names)",
    )
    train.add_argument("--name", help="run folder name (default: date, time and preset)")
    train.add_argument(
        "--resume",
        metavar="RUN",
        help="continue RUN (a name or a path) from its "
        "last checkpoint; --epochs may raise its epoch count",
    )
    train.add_argument(
        "--worker-dir",
        type=Path,
        metavar="DIR",
        help="--strategy multi-worker, on a worker that is not the chief (TF_CONFIG, or "
        "SLURM_PROCID > 0): where its "
        "scratch run folder goes (default: a temporary folder, removed after a clean exit)",
    )
    add_config_arguments(train)


def _add_common(parser: argparse.ArgumentParser, suppress: bool = True) -> None:
    # On subcommands the default is SUPPRESS so a value given before the verb is not overwritten.
    default: object = argparse.SUPPRESS if suppress else None
    parser.add_argument(
        "--data-dir",
        default=default,
        metavar="DIR",
        help="cifar-10-python.tar.gz, its folder, or cifar-10-batches-py/ "
        "(else $CIFAR10_DIR, then ~/.keras/datasets)",
    )
    parser.add_argument(
        "--models-dir",
        default=default,
        type=Path,
        metavar="DIR",
        help="where runs are saved (default: ./models)",
    )


def _add_app_options(parser: argparse.ArgumentParser, suppress: bool = True) -> None:
    parser.add_argument(
        "--app-priority",
        choices=APP_PRIORITIES,
        default=argparse.SUPPRESS if suppress else APP_PRIORITIES[0],
        help="the app's CPU priority: idle (default on Linux) runs it only on CPU time that "
        "training leaves; normal lets it compete with training",
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cifar-tui` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    args.models_dir = args.models_dir or DEFAULT_MODELS_DIR
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        None: _open_app,
        "train": commands_train.train,
        "evaluate": model_verbs.evaluate,
        "predict": model_verbs.predict,
        "runs": run_verbs.runs,
        "export": model_verbs.export,
        "stop": run_verbs.stop,
        "queue": queue_verbs.queue,
        "doctor": doctor_verb.doctor,
        "snapshot": snapshot_verb.snapshot,
        "watch": _open_app,
        "browse": _open_app,
    }
    try:
        check_paths(args)
        return handlers[args.verb](args)
    except UserError as error:
        print(f"cifar-tui: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("cifar-tui: interrupted", file=sys.stderr)
        return 130


APP_VERBS = (None, "watch", "browse")
"""The verbs that open the app, which may start trainers (so may create the models folder)."""
RUN_VERBS = ("export", "stop", "watch", "browse", "snapshot")
"""Verbs whose RUN argument names a run."""


def check_paths(args: argparse.Namespace) -> None:
    """Refuse every path of the wrong kind before a verb starts (one UserError line).

    A file where a folder is expected and the reverse, a dangling symbolic link, a folder that
    cannot be created: the verbs and the app then never meet one halfway through.
    """
    writes_runs = args.verb == "train" or args.verb in APP_VERBS
    require_dir(args.models_dir, "--models-dir", create=writes_runs, missing_ok=not writes_runs)
    if getattr(args, "data_dir", None):
        require_path(Path(args.data_dir), "--data-dir")
    if args.verb == "train":
        if args.config is not None:
            require_file(args.config, "--config", missing_ok=True, fix="give a TOML file")
        if args.worker_dir is not None:
            require_dir(args.worker_dir, "--worker-dir", create=True)
        if args.resume:
            _check_run(args.resume, args.models_dir, "--resume")
    if args.verb in ("evaluate", "predict"):
        _check_model(args.model, args.models_dir)
    if args.verb == "predict":
        for image in args.images:
            require_file(image, "image", missing_ok=True, fix="give a PNG or JPEG file")
    if args.verb == "evaluate" and args.images is not None:
        require_dir(
            args.images, "--images", missing_ok=True, fix="give a folder of <class name>/ folders"
        )
    if args.verb in RUN_VERBS:
        _check_run(args.run, args.models_dir, "RUN")
    if args.verb == "export" and args.tensorboard is not None:
        require_dir(args.tensorboard, "--tensorboard", create=True)
    for flag, output in (("--csv", "csv"), ("--svg", "svg")):
        _check_output_file(getattr(args, output, None), flag)


def _check_run(spec: str, models_dir: Path, what: str) -> None:
    """A RUN that is no run: when the path typed is of the wrong kind, say that instead."""
    from cifar_tui.core.rundir.listing import resolve_run

    try:
        resolve_run(spec, models_dir)
    except UserError:  # no run: the verb says so in its own words, unless the kind is wrong
        typed = Path(spec)
        if spec.strip() and (typed.exists() or typed.is_symlink()):
            require_dir(typed, what, fix="give a run name or a path to a run folder")


def _check_output_file(path: Path | None, flag: str) -> None:
    """An output FILE (or - for stdout): a file or nothing yet, in a folder that exists."""
    if path is None or str(path) == "-":
        return
    require_file(path, flag, missing_ok=True, fix="give a file name")
    try:
        require_dir(path.parent, "folder", fix="create it first or give another path")
    except UserError as error:
        raise UserError(f"{flag} {path}: {error}") from None


def _check_model(spec: str, models_dir: Path) -> None:
    """RUN|MODEL: a .keras file, else a run (as commands/models.py reads it)."""
    path = Path(spec)
    if path.suffix == ".keras" or path.is_file():
        require_file(path, "model", missing_ok=True, fix="give a .keras file or a run name")
    else:
        _check_run(spec, models_dir, "RUN")


def _open_app(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError(
            "the app needs a terminal (stdin/stdout is not a TTY here); "
            "to train without one use `cifar-tui train --preset recipe-2018 --data-dir DIR`"
        )
    from cifar_tui.app import make_app

    screen = {"watch": "monitor", "browse": "browse"}.get(args.verb, "runs")
    app = make_app(
        models_dir=args.models_dir,
        data_dir=getattr(args, "data_dir", None),
        open_run=getattr(args, "run", None),
        start_screen=screen,
        freeze_heap=True,
        yield_cpu=args.app_priority == "idle",
    )
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
