"""`cifar-tui train`: resolve the config, find the data, lock the run folder, run the trainer."""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cifar_tui.commands.flags import config_overrides
from cifar_tui.core.config import TrainConfig
from cifar_tui.core.config_files import load_config, save_config
from cifar_tui.core.errors import UserError
from cifar_tui.core.presets import preset
from cifar_tui.core.rundir.naming import valid_run_name

if TYPE_CHECKING:  # the modules themselves are imported when a verb needs them
    from cifar_tui.core.data.cifar10 import Cifar10
    from cifar_tui.core.rundir.folder import RunFolder
    from cifar_tui.core.training.cluster import Task
    from cifar_tui.core.training.stopping import StopRequest


def resolve_config(args: argparse.Namespace) -> TrainConfig:
    """Preset or config file, then the config flags given on the command line; validated."""
    if args.config and args.preset:
        raise UserError("give --config or --preset, not both (a config file names its preset)")
    config = load_config(args.config) if args.config else preset(args.preset or "recipe-2018")
    overrides = config_overrides(args)
    return TrainConfig.from_dict(overrides, base=config).validate() if overrides else config


def train(args: argparse.Namespace) -> int:
    """`cifar-tui train`: a new run, or `--resume RUN`; returns the exit code."""
    from cifar_tui.core.rundir.listing import resolve_run

    models_dir: Path = args.models_dir
    resume = args.resume is not None  # `--resume ""` names no run: an error, not a new run
    if resume:
        run = resolve_run(args.resume, models_dir)
        config = _resumed_config(args, run.config_path)
    else:
        config = resolve_config(args)
        if args.name is not None and not valid_run_name(args.name):
            raise UserError(f"--name {args.name!r} is not a folder name; use letters, digits, -_.")
    _choose_devices(config)
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


def _choose_devices(config: TrainConfig) -> None:
    """Set CUDA's device order and visible GPUs from `devices`: before TensorFlow is imported."""
    from cifar_tui.core.host.gpu_choice import set_cuda_devices

    choice = set_cuda_devices(config.devices, config.strategy)
    if choice.message:
        print(choice.message, flush=True)


def _train_in(
    args: argparse.Namespace, models_dir: Path, config: TrainConfig, run: RunFolder | None
) -> int:
    """Lock the run (`run`, or a new one in `models_dir`), then train it."""
    from cifar_tui.core.rundir.lock import RunLock
    from cifar_tui.core.rundir.naming import create_run_folder, new_run_name
    from cifar_tui.core.training.checks import check_batch_fits
    from cifar_tui.core.training.stopping import StopRequest

    resume = run is not None
    stop = StopRequest()
    # SIGHUP (the terminal went away) stops cleanly too, so the run can be resumed.
    stop.install((signal.SIGINT, signal.SIGTERM, signal.SIGHUP))
    with contextlib.ExitStack() as locked:
        if run is not None:
            # Lock first: a second trainer is refused before it loads data or touches the run.
            locked.enter_context(RunLock(run.lock_path))
            _check_resumable(run, config)
        data = load_data(args.data_dir, config.train_size)
        check_batch_fits(config, len(data.x_train))
        if run is None:
            models_dir.mkdir(parents=True, exist_ok=True)
            name = args.name or new_run_name(models_dir, config.preset)
            run = create_run_folder(models_dir, name)
            locked.enter_context(RunLock(run.lock_path))  # before config.toml makes it a run
            save_config(config, run.config_path)
        elif config.epochs != _saved_epochs(run.config_path):
            save_config(config, run.config_path)
        return _run_trainer(config, run, data, stop, resume)


def _run_trainer(
    config: TrainConfig, run: RunFolder, data: Cifar10, stop: StopRequest, resume: bool
) -> int:
    """Send stderr to the run's trainer.log, then train; returns the exit code."""
    from cifar_tui.core.training import tfenv

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


def _worker_scratch(worker_dir: Path | None, task: Task) -> Path:
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


def _copy_for_worker(run: RunFolder, scratch: Path) -> RunFolder:
    """A non-chief resume: copy the chief's config and latest checkpoint, read-only, into scratch.

    Every worker must restore the same checkpoint, so the run folder must be reachable from each
    worker (a shared file system, or the same path holding a copy).
    """
    import shutil

    from cifar_tui.core.rundir.checkpoints import read_latest
    from cifar_tui.core.rundir.folder import LATEST_CHECKPOINT_FILE, RunFolder

    copy = RunFolder(scratch / run.name)
    if copy.path.exists():
        shutil.rmtree(copy.path)
    copy.checkpoint_dir.mkdir(parents=True)
    shutil.copy2(run.config_path, copy.config_path)
    latest = read_latest(run.checkpoint_dir)
    if latest is not None:
        shutil.copy2(run.checkpoint_dir / latest.file, copy.checkpoint_dir / latest.file)
        index = LATEST_CHECKPOINT_FILE
        shutil.copy2(run.checkpoint_dir / index, copy.checkpoint_dir / index)
    return copy


def _check_resumable(run: RunFolder, config: TrainConfig) -> None:
    """Refuse a resume that has nothing to do, before anything is written to the run."""
    from cifar_tui.core.rundir.checkpoints import read_latest
    from cifar_tui.core.training.checks import check_epochs_left  # no TensorFlow at import

    check_epochs_left(run, read_latest(run.checkpoint_dir), config.epochs)


def _resumed_config(args: argparse.Namespace, config_path: Path) -> TrainConfig:
    config = load_config(config_path)
    overrides = config_overrides(args)
    # The GPUs may differ from one segment to the next (the first may be busy now).
    other = sorted(set(overrides) - {"epochs", "devices"})
    if other or args.config or args.preset or args.name:
        given = other + [name for name in ("config", "preset", "name") if getattr(args, name)]
        raise UserError(
            "--resume continues a run with its saved config; only --epochs and --devices can "
            f"change (got --{', --'.join(g.replace('_', '-') for g in given)})"
        )
    if "epochs" in overrides:
        config = config.replace(epochs=overrides["epochs"]).validate()
    if "devices" in overrides:  # where this segment trains; its run_started records the GPUs
        config = config.replace(devices=overrides["devices"]).validate()
    return config


def _saved_epochs(config_path: Path) -> int:
    return load_config(config_path).epochs


def load_data(data_dir: str | None, train_size: int = 0) -> Cifar10:
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
