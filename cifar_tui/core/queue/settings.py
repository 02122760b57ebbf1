"""The queue's settings file, `.queue/settings.toml`: how many runs share one GPU."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib

from cifar_tui.core.errors import UserError
from cifar_tui.core.queue.paths import queue_dir
from cifar_tui.core.rundir.atomic import atomic_write_text

__all__ = ["read_per_gpu", "write_per_gpu"]


def read_per_gpu(models_dir: Path) -> int:
    """Runs sharing one GPU at a time (the queue's setting; 1 unless `--per-gpu` changed it)."""
    try:
        data = tomllib.loads((queue_dir(models_dir) / "settings.toml").read_text("utf-8"))
    except (OSError, ValueError):
        return 1
    value = data.get("per_gpu")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else 1


def write_per_gpu(models_dir: Path, per_gpu: int) -> None:
    """Set how many runs share one GPU (the runner reads it before each start)."""
    if per_gpu < 1:
        raise UserError(f"--per-gpu {per_gpu}: give 1 or more runs per GPU")
    queue_dir(models_dir).mkdir(parents=True, exist_ok=True)
    text = f"# cifar-tui queue settings\nper_gpu = {per_gpu}\n"
    atomic_write_text(queue_dir(models_dir) / "settings.toml", text)
