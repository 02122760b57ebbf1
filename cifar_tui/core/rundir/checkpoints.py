"""Crash-safe checkpoints: one .npz of model + optimizer variables, then `latest.json` points at it.

The order (write the new file atomically, then atomically replace `latest.json`, then delete the old
file) means that a kill at any moment leaves `latest.json` naming a complete checkpoint.
Plain arrays rather than a `.keras` file let a resumed run rebuild its optimizer and schedule from
the config (for example with more epochs) and keep the checkpoint free of custom objects.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.atomic import atomic_write_bytes, atomic_write_text
from cifar_tui.core.rundir.fields import finite_number
from cifar_tui.core.rundir.folder import LATEST_CHECKPOINT_FILE

_CHECKPOINT_FILE = re.compile(r"epoch-\d+-step-\d+\.npz")
_TEMP_FILE = re.compile(r"\..+\.[0-9a-f]{8}\.tmp.*")  # what atomic writes name their temp files


@dataclass(frozen=True)
class CheckpointInfo:
    """Where a run stands: `epoch` epochs complete plus `step` batches of the next one."""

    file: str
    epoch: int
    step: int
    normalization_mean: list[float]
    normalization_std: list[float]


def save_checkpoint(
    directory: Path, model: Any, epoch: int, step: int, mean: list[float], std: list[float]
) -> Path:
    """Write model and optimizer state for (epoch, step) and make it the latest; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    # `variables`, not `get_weights()`: it includes the dropout layers' seed-generator states, so a
    # resumed run draws the same dropout masks an uninterrupted one would.
    arrays = {f"model_{i:04d}": np.asarray(v.numpy()) for i, v in enumerate(model.variables)}
    for i, variable in enumerate(model.optimizer.variables):
        arrays[f"optimizer_{i:04d}"] = np.asarray(variable.numpy())
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # numpy's stub reads ** as allow_pickle
    path = directory / f"epoch-{epoch:04d}-step-{step:06d}.npz"
    atomic_write_bytes(path, buffer.getvalue())
    previous = read_latest(directory)
    info = CheckpointInfo(path.name, epoch, step, list(mean), list(std))
    index = json.dumps(asdict(info), indent=2) + "\n"
    try:
        atomic_write_text(directory / LATEST_CHECKPOINT_FILE, index)
    except BaseException:
        if previous is None or previous.file != path.name:
            path.unlink(missing_ok=True)  # nothing names it: give its space back (disk full)
        raise
    if previous is not None and previous.file != path.name:
        (directory / previous.file).unlink(missing_ok=True)
    return path


def remove_leftovers(directory: Path, latest: CheckpointInfo | None) -> list[Path]:
    """Delete what a killed trainer left in `directory`: temp files and unnamed checkpoints.

    A checkpoint that `latest.json` does not name was never committed (the kill came between
    writing it and replacing `latest.json`), so a resume would not use it. Call this only while
    holding the run's lock.

    Args:
        directory: the checkpoint folder.
        latest: what `read_latest` returned; None (no `latest.json`, which a user may have
            deleted) removes only temp files and keeps every checkpoint.

    Returns:
        The files removed.
    """
    directory = Path(directory)
    try:
        names = sorted(entry.name for entry in os.scandir(directory) if entry.is_file())
    except OSError:  # no checkpoint folder yet
        return []
    removed = []
    for name in names:
        # Only the trainer writes here, so every temp file is a killed writer's.
        temp = _TEMP_FILE.fullmatch(name)
        orphan = latest is not None and name != latest.file and _CHECKPOINT_FILE.fullmatch(name)
        if temp or orphan:
            (directory / name).unlink(missing_ok=True)
            removed.append(directory / name)
    return removed


def read_latest(directory: Path) -> CheckpointInfo | None:
    """The checkpoint `latest.json` names, or None when there is none yet."""
    latest = directory / LATEST_CHECKPOINT_FILE
    if not latest.exists():
        return None
    try:
        info = CheckpointInfo(**json.loads(latest.read_text()))
        _check_info(info)
    except (OSError, ValueError, TypeError) as error:
        raise UserError(
            f"{latest} is not a valid checkpoint index ({error}); the run cannot resume from it"
        ) from error
    if not (directory / info.file).is_file():
        raise UserError(f"{latest} names {info.file}, which is missing; the run cannot resume")
    return info


def _check_info(info: CheckpointInfo) -> None:
    """ValueError unless `info` names a checkpoint file in its folder (never a path elsewhere:
    a save deletes the previous file) with plain counts and statistics."""
    if not (isinstance(info.file, str) and _CHECKPOINT_FILE.fullmatch(info.file)):
        raise ValueError(f"file {info.file!r} is not a checkpoint file name")
    for name in ("epoch", "step"):
        value = getattr(info, name)
        if type(value) is not int or value < 0:
            raise ValueError(f"{name} {value!r} is not a count")
    for name in ("normalization_mean", "normalization_std"):
        value = getattr(info, name)
        if not (
            isinstance(value, list)
            and len(value) in (1, 3)
            and all(finite_number(v) is not None for v in value)
        ):
            raise ValueError(f"{name} {value!r} is not 1 or 3 numbers")


def restore_checkpoint(directory: Path, info: CheckpointInfo, model: Any) -> None:
    """Load model and optimizer variables saved by `save_checkpoint` into a compiled model."""
    path = directory / info.file
    try:
        with np.load(path) as archive:
            model_arrays = [archive[k] for k in sorted(archive.files) if k.startswith("model_")]
            optimizer_arrays = [
                archive[k] for k in sorted(archive.files) if k.startswith("optimizer_")
            ]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        raise UserError(f"checkpoint {path} is unreadable ({error}); cannot resume") from error
    if len(model.variables) != len(model_arrays):
        raise UserError(
            f"checkpoint {path} holds {len(model_arrays)} model variables but this model has "
            f"{len(model.variables)}; resume with the run's own config.toml"
        )
    for variable, value in zip(model.variables, model_arrays, strict=True):
        variable.assign(value)
    model.optimizer.build(model.trainable_variables)
    variables = model.optimizer.variables
    if len(variables) != len(optimizer_arrays):
        raise UserError(
            f"checkpoint {path} holds {len(optimizer_arrays)} optimizer variables but this "
            f"optimizer has {len(variables)}; resume with the run's own config.toml"
        )
    for variable, value in zip(variables, optimizer_arrays, strict=True):
        variable.assign(value)
