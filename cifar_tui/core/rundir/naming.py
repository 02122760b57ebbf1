"""Run names: what makes a usable one, a fresh one for a new run, and creating its folder."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.folder import RunFolder

__all__ = ["create_run_folder", "new_run_name", "valid_run_name"]


def valid_run_name(name: str) -> bool:
    """Whether `name` can name a run: one path component, not empty and not hidden.

    Args:
        name: what a user typed (the config screen's field, `cifar-tui train --name`).

    Returns:
        False for "", ".", "..", ".hidden" and anything with a "/".
    """
    return bool(name) and not name.startswith(".") and "/" not in name and Path(name).name == name


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9._]+", "-", label.lower()).strip("-.")


def new_run_name(models_dir: Path, label: str, now: datetime | None = None) -> str:
    """A fresh run name: local date and time plus a label, e.g. "2026-11-25_1915_recipe-2018".

    Args:
        models_dir: where the run will live; a taken name gets "-2", "-3", ... appended.
        label: usually the preset name; lowered, with anything but [a-z0-9._] turned into "-".
        now: the time to use (default: now).

    Returns:
        A name not yet present in `models_dir`.
    """
    stamp = (now or datetime.now()).strftime("%Y-%m-%d_%H%M")
    slug = _slug(label)
    base = f"{stamp}_{slug}" if slug else stamp
    name, counter = base, 1
    while (Path(models_dir) / name).exists():
        counter += 1
        name = f"{base}-{counter}"
    return name


def create_run_folder(models_dir: Path, name: str) -> RunFolder:
    """Make a new, empty run folder (and `models_dir` if needed).

    Args:
        models_dir: the folder holding runs.
        name: the run's name (see `valid_run_name`).

    Returns:
        The new run folder.

    Raises:
        UserError: the name is not usable or the folder already exists.
    """
    if not valid_run_name(name):
        raise UserError(f"bad run name {name!r}: use a plain folder name like 2026-11-25_1915_fast")
    models_dir = Path(models_dir)
    path = models_dir / name
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        path.mkdir()
    except FileExistsError:
        raise UserError(
            f"run folder {path} already exists; pick another name or resume it"
        ) from None
    except OSError as error:
        raise UserError(f"cannot create run folder {path}: {error.strerror}") from None
    return RunFolder(path)
