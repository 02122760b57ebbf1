"""`cifar-tui train`: resolve the config, find the data, lock the run folder, run the trainer."""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import os
import signal
import sys
from pathlib import Path

from cifar_tui.commands.flags import config_overrides
from cifar_tui.core.config import TrainConfig
from cifar_tui.core.config_files import load_config, save_config
from cifar_tui.core.errors import UserError
from cifar_tui.core.presets import preset


def resolve_config(args: argparse.Namespace) -> TrainConfig:
    """Preset or config file, then the config flags given on the command line; validated."""
    if args.config and args.preset:
        raise UserError("give --config or --preset, not both (a config file names its preset)")
    config = load_config(args.config) if args.config else preset(args.preset or "recipe-2018")
    overrides = config_overrides(args)
    return TrainConfig.from_dict(overrides, base=config).validate() if overrides else config


def train(args: argparse.Namespace) -> int:
    """`cifar-tui train`: a new run, or `--resume RUN`; returns the exit code."""
    from cifar_tui.core.rundir.runs import resolve_run

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
        from cifar_tui.core.training.cluster import task_from_env

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
    from cifar_tui.core.rundir.runs import RunLock, create_run_folder, new_run_name
    from cifar_tui.core.training import tfenv
    from cifar_tui.core.training.stopping import StopRequest

    resume = run is not None
    stop = StopRequest()
    # SIGHUP (the terminal went away) stops cleanly too, so the run can be resumed.
    stop.install((signal.SIGINT, signal.SIGTERM, signal.SIGHUP))
    with contextlib.ExitStack() as locked:
        if resume:
            # Lock first: a second trainer is refused before it loads data or touches the run.
            locked.enter_context(RunLock(run.lock_path))
            _check_resumable(run, config)
        data = load_data(args.data_dir, config.train_size)
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
        # A crash inside TensorFlow's C++ (a segfault, an abort) leaves its Python stack in
        # trainer.log, where the app's failure view and a bug report can find it.
        faulthandler.enable(file=sys.stderr, all_threads=True)
        from cifar_tui.core.training.trainer import run_training

        try:
            outcome = run_training(config, run, data, user_out=user_err, stop=stop, resume=resume)
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

    from cifar_tui.core.rundir.checkpoints import read_latest
    from cifar_tui.core.rundir.runs import RunFolder

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
    from cifar_tui.core.rundir.checkpoints import read_latest

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
    from cifar_tui.core.rundir.runs import TERMINAL_EVENTS

    ends = [e["type"] for e in run.events() if e["type"] in TERMINAL_EVENTS]
    return bool(ends) and ends[-1] == "finished"


def _check_batch_fits(config: TrainConfig, train_images: int) -> None:
    """At least one full batch per epoch, after the validation hold-out."""
    from cifar_tui.core.training.trainer import held_out_count  # no TensorFlow at import

    usable = train_images - held_out_count(train_images, config.validation_split)
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


def load_data(data_dir: str | None, train_size: int = 0):  # noqa: ANN202 - Cifar10
    """Find CIFAR-10 offline (see locate.find_cifar10); only then try Keras's downloader."""
    from cifar_tui.core.data.cifar10 import load_cifar10
    from cifar_tui.core.data.errors import DataError
    from cifar_tui.core.data.locate import find_cifar10

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

    from cifar_tui.core.data.errors import DataError
    from cifar_tui.core.data.locate import find_cifar10
    from cifar_tui.core.training import tfenv

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
