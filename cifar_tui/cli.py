"""`cifar-tui` (the app) and its headless verbs: train, evaluate, predict, runs, export, stop."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from cifar_tui import __version__
from cifar_tui.core.config import (
    PRESETS,
    TrainConfig,
    add_config_arguments,
    config_overrides,
    load_config,
    preset,
    save_config,
)
from cifar_tui.core.errors import UserError

DEFAULT_MODELS_DIR = Path("models")


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
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_OneLineParser)

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
        help="--strategy multi-worker, on a worker that is not the chief (TF_CONFIG): where its "
        "scratch run folder goes (default: a temporary folder, removed after a clean exit)",
    )
    add_config_arguments(train)

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

    predict = verbs.add_parser("predict", help="top-3 labels for image files")
    _add_common(predict)
    predict.add_argument("model", metavar="RUN|MODEL", help="run name, run folder or .keras file")
    predict.add_argument("images", metavar="IMAGE", nargs="+", type=Path, help="PNG/JPEG, any size")
    predict.add_argument("--json", action="store_true", help="print JSON")

    runs = verbs.add_parser("runs", help="list the runs in the models folder")
    _add_common(runs)
    runs.add_argument("--json", action="store_true", help="print JSON")

    export = verbs.add_parser("export", help="write the recipe's format: model.json + weights")
    _add_common(export)
    export.add_argument("run", metavar="RUN", help="run name or run folder")

    stop = verbs.add_parser("stop", help="ask a running trainer to checkpoint and stop")
    _add_common(stop)
    stop.add_argument("run", metavar="RUN", help="run name or run folder")

    for verb, what in (("watch", "training monitor"), ("browse", "prediction browser")):
        view = verbs.add_parser(verb, help=f"open the app on RUN's {what}")
        _add_common(view)
        view.add_argument("run", metavar="RUN", help="run name or run folder")
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `cifar-tui` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    args.models_dir = args.models_dir or DEFAULT_MODELS_DIR
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        None: _open_app,
        "train": _train,
        "evaluate": _evaluate,
        "predict": _predict,
        "runs": _runs,
        "export": _export,
        "stop": _stop,
        "watch": _open_app,
        "browse": _open_app,
    }
    try:
        return handlers[args.verb](args)
    except UserError as error:
        print(f"cifar-tui: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("cifar-tui: interrupted", file=sys.stderr)
        return 130


def _open_app(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UserError(
            "the app needs a terminal (stdin/stdout is not a TTY here); "
            "to train without one use `cifar-tui train --preset recipe-2018 --data-dir DIR`"
        )
    from cifar_tui.app import make_app

    screen = {"watch": "monitor", "browse": "browse"}.get(args.verb, "runs")
    app = make_app(models_dir=args.models_dir, data_dir=getattr(args, "data_dir", None),
                   open_run=getattr(args, "run", None), start_screen=screen)
    app.run()
    return 0


def resolve_config(args: argparse.Namespace) -> TrainConfig:
    """Preset or config file, then the config flags given on the command line; validated."""
    if args.config and args.preset:
        raise UserError("give --config or --preset, not both (a config file names its preset)")
    config = load_config(args.config) if args.config else preset(args.preset or "recipe-2018")
    overrides = config_overrides(args)
    return TrainConfig.from_dict(overrides, base=config).validate() if overrides else config


def _train(args: argparse.Namespace) -> int:
    from cifar_tui.core.runs import resolve_run

    models_dir: Path = args.models_dir
    resume = args.resume is not None  # `--resume ""` names no run: an error, not a new run
    if resume:
        run = resolve_run(args.resume, models_dir)
        config = _resumed_config(args, run.config_path)
    else:
        config = resolve_config(args)
        if args.name is not None and (
            not args.name or "/" in args.name or args.name in (".", "..")
        ):
            raise UserError(f"--name {args.name!r} is not a folder name; use letters, digits, -_.")
    scratch = None
    if config.strategy == "multi-worker":
        from cifar_tui.core.cluster import task_from_env

        task = task_from_env()
        if not task.is_chief:  # trains every step with the chief, writes only to scratch
            scratch = _worker_scratch(args.worker_dir, task)
            models_dir = scratch
            if resume:
                run = _copy_for_worker(run, scratch)
    elif args.worker_dir is not None:
        raise UserError("--worker-dir is only for --strategy multi-worker")
    code = _train_in(args, models_dir, config, run if resume else None)
    if scratch is not None and args.worker_dir is None and code == 0:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)  # kept after a failure, for its trainer.log
    return code


def _train_in(args: argparse.Namespace, models_dir: Path, config: TrainConfig, run) -> int:  # noqa: ANN001 - RunFolder | None
    """Lock the run (`run`, or a new one in `models_dir`), then train it."""
    from cifar_tui.core import tfenv
    from cifar_tui.core.runs import RunLock, create_run_folder, new_run_name
    from cifar_tui.core.stopping import StopRequest

    resume = run is not None
    stop = StopRequest()
    # SIGHUP (the terminal went away) stops cleanly too, so the run can be resumed.
    stop.install((signal.SIGINT, signal.SIGTERM, signal.SIGHUP))
    with contextlib.ExitStack() as locked:
        if resume:
            # Lock first: a second trainer is refused before it loads data or touches the run.
            locked.enter_context(RunLock(run.lock_path))
            _check_resumable(run, config)
        data = _load_data(args.data_dir, config.train_size)
        _check_batch_fits(config, len(data.x_train))
        if not resume:
            models_dir.mkdir(parents=True, exist_ok=True)
            name = args.name or new_run_name(models_dir, config.preset)
            run = create_run_folder(models_dir, name)
            locked.enter_context(RunLock(run.lock_path))  # before config.toml makes it a run
            save_config(config, run.config_path)
        elif config.epochs != _saved_epochs(run.config_path):
            save_config(config, run.config_path)
        print(f"run folder: {run.path}", flush=True)
        user_err = tfenv.redirect_stderr_to(run.log_path)
        from cifar_tui.core.trainer import run_training

        try:
            outcome = run_training(
                config, run, data, user_out=user_err, stop=stop, resume=resume
            )
        except UserError as error:  # stderr is trainer.log now: tell the user on the terminal
            print(f"cifar-tui: error: {error}", file=user_err)
            return error.exit_code
    return outcome.exit_code


def _worker_scratch(worker_dir: Path | None, task) -> Path:  # noqa: ANN001 - cluster.Task
    """The folder a non-chief multi-worker task writes its run folder into."""
    import tempfile

    label = f"{task.task_type}{task.index}"
    if worker_dir is None:
        scratch = Path(tempfile.mkdtemp(prefix=f"cifar-tui-{label}-"))
    else:
        scratch = worker_dir / label
        scratch.mkdir(parents=True, exist_ok=True)
    print(f"multi-worker {label} of {task.workers}: not the chief; writes to {scratch}", flush=True)
    return scratch


def _copy_for_worker(run, scratch: Path):  # noqa: ANN001, ANN202 - RunFolder
    """A non-chief resume: copy the chief's config and latest checkpoint, read-only, into scratch.

    Every worker must restore the same checkpoint, so the run folder must be reachable from each
    worker (a shared file system, or the same path holding a copy).
    """
    import shutil

    from cifar_tui.core.checkpoints import read_latest
    from cifar_tui.core.runs import RunFolder

    copy = RunFolder(scratch / run.name)
    if copy.path.exists():
        shutil.rmtree(copy.path)
    copy.checkpoint_dir.mkdir(parents=True)
    shutil.copy2(run.config_path, copy.config_path)
    latest = read_latest(run.checkpoint_dir)
    if latest is not None:
        shutil.copy2(run.checkpoint_dir / latest.file, copy.checkpoint_dir / latest.file)
        shutil.copy2(run.checkpoint_dir / "latest.json", copy.checkpoint_dir / "latest.json")
    return copy


def _check_resumable(run, config: TrainConfig) -> None:  # noqa: ANN001 - RunFolder
    """Refuse a resume that has nothing to do, before anything is written to the run."""
    from cifar_tui.core.checkpoints import read_latest

    latest = read_latest(run.checkpoint_dir)
    if latest is None:
        return  # no checkpoint yet: the run starts over from epoch 1
    # All epochs trained but killed before its `finished` event: the resume only evaluates.
    if latest.epoch > config.epochs or (latest.epoch == config.epochs and _finished(run)):
        raise UserError(
            f"run {run.name} already has {latest.epoch} of {config.epochs} epochs; "
            f"pass --epochs N with N > {latest.epoch} to train further"
        )


def _finished(run) -> bool:  # noqa: ANN001 - RunFolder
    """Whether the run's last terminal event is `finished`."""
    from cifar_tui.core.runs import TERMINAL_EVENTS

    ends = [e["type"] for e in run.events() if e["type"] in TERMINAL_EVENTS]
    return bool(ends) and ends[-1] == "finished"


def _check_batch_fits(config: TrainConfig, train_images: int) -> None:
    """At least one full batch per epoch, after the validation hold-out."""
    usable = train_images - int(round(config.validation_split * train_images))
    if usable < config.batch_size:
        raise UserError(
            f"batch_size {config.batch_size} is larger than the {usable} training images "
            "left after the validation split; lower --batch-size or raise --train-size"
        )


def _resumed_config(args: argparse.Namespace, config_path: Path) -> TrainConfig:
    config = load_config(config_path)
    overrides = config_overrides(args)
    other = sorted(set(overrides) - {"epochs"})
    if other or args.config or args.preset or args.name:
        given = other + [name for name in ("config", "preset", "name") if getattr(args, name)]
        raise UserError(
            f"--resume continues a run with its saved config; only --epochs can change "
            f"(got --{', --'.join(g.replace('_', '-') for g in given)})"
        )
    if "epochs" in overrides:
        config = config.replace(epochs=overrides["epochs"]).validate()
    return config


def _saved_epochs(config_path: Path) -> int:
    return load_config(config_path).epochs


def _load_data(data_dir: str | None, train_size: int = 0):  # noqa: ANN202 - Cifar10
    """Find CIFAR-10 offline (see data.find_cifar10); only then try Keras's downloader."""
    from cifar_tui.core.data import DataError, find_cifar10, load_cifar10

    try:
        source = find_cifar10(data_dir)
    except DataError as not_found:
        if data_dir is not None or os.environ.get("CIFAR_TUI_OFFLINE"):
            raise
        source = _download_with_keras(not_found)
    return load_cifar10(source, train_size=train_size)


def _download_with_keras(not_found: UserError) -> Path:
    """The last resort: Keras's own download into ~/.keras/datasets (fails fast offline)."""
    import socket

    from cifar_tui.core import tfenv
    from cifar_tui.core.data import DataError, find_cifar10

    print("CIFAR-10 not found locally; trying Keras's download ...", file=sys.stderr)
    socket.setdefaulttimeout(20)
    tfenv.import_tensorflow_quietly()
    import keras

    try:
        keras.datasets.cifar10.load_data()
    except Exception as error:  # noqa: BLE001 - urllib, HTTP and hash errors alike
        reason = " ".join(str(error).split())[:120] or type(error).__name__
        raise DataError(f"{not_found}; Keras's download failed too ({reason})") from None
    return find_cifar10(None)


def _model_path(spec: str, models_dir: Path) -> Path:
    """A RUN or MODEL argument as the .keras file it means."""
    from cifar_tui.core.runs import resolve_run

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


def _evaluate(args: argparse.Namespace) -> int:
    from cifar_tui.core import inference

    path = _model_path(args.model, args.models_dir)
    inference.check_model_file(path)  # before the slow data load
    if args.images:
        from cifar_tui.core.images import load_image_folder

        folder = load_image_folder(args.images)
        images, labels, source = folder.images, folder.labels, str(args.images)
        if folder.skipped:
            print(
                f"skipped {len(folder.skipped)} non-image files in {args.images}", file=sys.stderr
            )
    else:
        data = _load_data(getattr(args, "data_dir", None))
        images, labels, source = data.x_test, data.y_test, str(data.source)
    model = inference.load_model(path)
    result = inference.evaluate(model, images, labels)
    if args.json:
        print(
            json.dumps(
                {
                    "model": str(path),
                    "data": source,
                    "images": len(labels),
                    "accuracy": result.accuracy,
                    "loss": result.loss,
                }
            )
        )
    else:
        print(f"Test result: {100 * result.accuracy:.3f} loss: {result.loss:.3f}")
        print(f"{len(labels)} images from {source}; model {path}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from cifar_tui.core import inference
    from cifar_tui.core.images import load_image

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


def _runs(args: argparse.Namespace) -> int:
    from cifar_tui.core.runs import format_runs_table, list_runs, runs_as_json

    runs = list_runs(args.models_dir)
    if args.json:
        print(json.dumps(runs_as_json(runs), indent=2))
    elif not runs:
        print(f"no runs in {args.models_dir} yet; start one with `cifar-tui train`")
    else:
        print(format_runs_table(runs))
    return 0


def _export(args: argparse.Namespace) -> int:
    from cifar_tui.core import inference
    from cifar_tui.core.runs import resolve_run

    run = resolve_run(args.run, args.models_dir)
    architecture, weights = inference.export_recipe_format(
        _model_path(str(run.path), args.models_dir), run.path
    )
    print(f"wrote {architecture} and {weights}")
    return 0


def _stop(args: argparse.Namespace) -> int:
    from cifar_tui.core.runs import lock_holder_alive, read_lock, resolve_run

    run = resolve_run(args.run, args.models_dir)
    holder = read_lock(run.lock_path)
    if not holder or not lock_holder_alive(run.lock_path):
        raise UserError(f"run {run.name} is not training (no live trainer holds its lock)")
    os.kill(int(holder["pid"]), signal.SIGINT)
    print(f"asked pid {holder['pid']} to stop {run.name}; it checkpoints after the current batch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
