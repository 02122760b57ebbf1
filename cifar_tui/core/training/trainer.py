"""The headless trainer behind `cifar-tui train`: the only code path that trains with TensorFlow.

`run_training` expects the CLI to have validated the config, found the data, created or resolved the
run folder and taken its lock. It imports TensorFlow itself, after the environment is prepared,
then runs the phases in order: the runtime (runtime.py); the data, the resume point, the model
built or restored, and fit (phases.py); then the end of the run (here). Any failure becomes a
`failed` event.
"""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from cifar_tui import __version__
from cifar_tui.core.config import TrainConfig
from cifar_tui.core.data.cifar10 import Cifar10
from cifar_tui.core.errors import UserError
from cifar_tui.core.host.device_sampler import start_device_sampler
from cifar_tui.core.host.doctor_checks import training_warnings
from cifar_tui.core.rundir.event_types import EpochEnded
from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.live import read_log_tail
from cifar_tui.core.training import distribution
from cifar_tui.core.training.metrics import evaluate_probabilities, predict_probabilities
from cifar_tui.core.training.runtime import Runtime, start_runtime
from cifar_tui.core.training.saving import (
    DiskFullError,
    RunSaver,
    disk_full,
    disk_full_message,
)
from cifar_tui.core.training.stopping import StopRequest

if TYPE_CHECKING:  # phases imports TensorFlow at its top; _train imports it after the runtime
    from cifar_tui.core.training import phases

FAILED_LOG_LINES = 20
"""How many lines of trainer.log a `failed` event carries for the UI."""


@dataclass
class TrainingOutcome:
    """How `run_training` ended: "finished", "stopped" or "failed", and the exit code it implies."""

    status: str
    exit_code: int
    test_accuracy: float | None = None


def run_training(
    config: TrainConfig,
    run: RunFolder,
    data: Cifar10,
    *,
    user_out: TextIO,
    stop: StopRequest,
    resume: bool,
) -> TrainingOutcome:
    """Train `config` into `run`, writing events; never raises for training failures.

    Args:
        user_out: the user's terminal (stderr already goes to trainer.log): where a failure's
            one line goes.
        stop: set by a signal; the trainer stops at the next batch, saving where it got to.
        resume: continue from the run's latest checkpoint.
    """
    events = EventWriter(run.events_path)
    started = time.time()
    try:
        return _train(config, run, data, events, stop, resume, started)
    except UserError as error:
        events.append(
            "failed", epoch=_epochs_done(run), error="UserError", message=str(error), log_tail=[]
        )
        raise
    except Exception as error:  # noqa: BLE001 - any training failure becomes a `failed` event
        return _record_failure(error, run, events, user_out)
    finally:
        events.close()


def _record_failure(
    error: Exception, run: RunFolder, events: EventWriter, user_out: TextIO
) -> TrainingOutcome:
    """The traceback to trainer.log (stderr); one line to the `failed` event and to the user."""
    message, kind = _one_line(error), type(error).__name__
    if disk_full(error) and not isinstance(error, DiskFullError):
        message, kind = disk_full_message("writing to the run folder", run), "DiskFullError"
    with contextlib.suppress(OSError):  # a full disk may refuse the log as well
        traceback.print_exc()
    try:
        events.append(
            "failed",
            epoch=_epochs_done(run),
            error=kind,
            message=message,
            log_tail=_log_tail(run.log_path),
        )
    except OSError:  # the disk is full: the user still gets the line below
        pass
    print(f"cifar-tui: training failed: {message} (details in {run.log_path})", file=user_out)
    return TrainingOutcome("failed", 1)


def _train(
    config: TrainConfig,
    run: RunFolder,
    data: Cifar10,
    events: EventWriter,
    stop: StopRequest,
    resume: bool,
    started: float,
) -> TrainingOutcome:
    """The phases in order; each one's inputs are what the ones before returned."""
    runtime = start_runtime(config, stop)
    from cifar_tui.core.training import phases  # imports TensorFlow: only once it is set up

    train = phases.prepare_data(config, data)
    start = phases.resume_point(config, run, resume)
    models = phases.build_or_restore(config, runtime, train, start, run)
    phases.save_preview(config, run, train, runtime.tf)
    _announce(config, run, data, runtime, train, start, events)
    normalization = models.normalization
    saver = RunSaver(
        run,
        events,
        models.model,
        models.inference_net,
        models.inference_model,
        list(normalization.mean),
        list(normalization.std),
        runtime.stop,
    )
    # The GPUs TensorFlow uses, else this process's CPU share: each epoch_ended's device_use.
    with start_device_sampler(len(runtime.gpus)) as device_use:
        fitted = phases.fit(config, train, models, start, saver, device_use)
    return _finish(config, data, fitted, saver, train.steps_per_epoch, started)


def _announce(
    config: TrainConfig,
    run: RunFolder,
    data: Cifar10,
    runtime: Runtime,
    train: phases.TrainingData,
    start: phases.ResumePoint,
    events: EventWriter,
) -> None:
    """The `run_started` event and its line on stdout (trainer.log, or the user's terminal)."""
    device = distribution.describe_device(runtime.gpus)
    replicas = runtime.strategy.num_replicas_in_sync
    steps, resumed = train.steps_per_epoch, bool(start.latest)
    warnings = training_warnings(len(runtime.gpus))  # no silent CPU fallback beside GPUs
    events.append(
        "run_started",
        run=run.name,
        config=config.to_dict(),
        versions={
            "cifar_tui": __version__,
            "tensorflow": runtime.tf.__version__,
            "keras": runtime.keras.__version__,
            "python": platform.python_version(),
        },
        device=device,
        strategy=config.strategy,
        replicas=replicas,
        mixed_precision=runtime.policy,
        train_size=len(train.x_train),
        val_size=len(train.x_val),
        test_size=len(data.x_test),
        steps_per_epoch=steps,
        epochs=config.epochs,
        initial_epoch=start.epoch,
        initial_step=start.step,
        pid=os.getpid(),
        host=socket.gethostname(),
        resumed=resumed,
        data_source=str(Path(data.source).resolve()),  # the app may start elsewhere
        gpus=[gpu.to_dict() for gpu in runtime.run_gpus],
        warnings=warnings,
    )
    print(
        f"{'resuming' if resumed else 'training'} {run.name}: {config.architecture}, "
        f"{len(train.x_train)} images, {steps} steps/epoch, "
        f"epochs {start.epoch + 1}-{config.epochs}, {device}, {runtime.policy}, "
        f"{config.strategy} x{replicas}",
        flush=True,
    )
    for line in warnings:
        print(f"warning: {line}", flush=True)


def _finish(
    config: TrainConfig,
    data: Cifar10,
    fitted: phases.FitResult,
    saver: RunSaver,
    steps_per_epoch: int,
    started: float,
) -> TrainingOutcome:
    """Record a stop, or the run's end: its test result, `finished` and the recipe's last line."""
    epoch_done, stop = fitted.epochs_done, saver.stop
    if stop.is_set() and (epoch_done < config.epochs):
        if not fitted.stop_recorded:  # stopped at an epoch's end, or before any batch
            step = fitted.steps_done if fitted.steps_done < steps_per_epoch else 0
            saver.save_stop(epoch_done, step)
        return TrainingOutcome("stopped", 0)
    # The last epoch already predicted the test set with these weights and saved predictions.npz
    # (predicting it again would only repeat that work for the same numbers).
    result = fitted.last_test_result
    if result is None:  # resumed with every epoch trained: nothing ran here
        result = evaluate_probabilities(
            predict_probabilities(saver.model, data.x_test), data.y_test
        )
        # The kill may have come before model.keras or predictions.npz was saved.
        saver.save(epoch_done, 0, result)
    views: dict[str, object] = {}
    if config.tta != "off":  # report what model.keras gives back: its averaged views
        single = result
        result = saver.save_views(epoch_done, data.x_test, data.y_test, config.tta, single)
        views = {"tta": config.tta, "single_view_accuracy": single.accuracy}
    saver.events.append(
        "finished",
        epoch=epoch_done,
        test_accuracy=result.accuracy,
        test_loss=result.loss,
        seconds=time.time() - started,
        **views,
    )
    # The recipe's own closing line.
    line = f"Test result: {100 * result.accuracy:.3f} loss: {result.loss:.3f}"
    if views:
        line += f" ({config.tta} test-time views; single view {100 * single.accuracy:.3f})"
    print(line, flush=True)
    return TrainingOutcome("finished", 0, result.accuracy)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _log_tail(log_path: Path) -> list[str]:
    """The end of trainer.log, with what this process wrote to it (its stderr) flushed first."""
    with contextlib.suppress(OSError):  # a full disk
        sys.stderr.flush()
    return read_log_tail(log_path, FAILED_LOG_LINES)


def _epochs_done(run: RunFolder) -> int:
    """Epochs complete according to the events so far (for the `failed` event)."""
    return max((e.epoch for e in run.events() if isinstance(e, EpochEnded)), default=0)
