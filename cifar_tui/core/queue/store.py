"""The run queue as files in the models folder: one TOML file per queued run, written atomically.

```
models/.queue/
  000001-<name>.toml   a queued run: order key, then name; holds the config, data dir, time added
  <name>.claim         a start in progress (see claims.py)
  runner.lock          held by the queue's runner (the RunLock format: pid, host, started)
  runner.log           the runner's output
  settings.toml        per_gpu
  .mutex               flock held around every check-then-act edit
```
Every change is one atomic step (a file created whole, renamed or deleted), so a kill -9 at any
moment leaves each queued run queued exactly once.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.config_values import ConfigError
from cifar_tui.core.errors import UserError
from cifar_tui.core.presets import config_from_dict
from cifar_tui.core.queue.claims import claim_held
from cifar_tui.core.queue.paths import QUEUE_DIR, queue_dir
from cifar_tui.core.rundir.atomic import atomic_write_text
from cifar_tui.core.rundir.naming import valid_run_name

__all__ = [
    "QUEUE_DIR",
    "QueuedRun",
    "enqueue",
    "mark_failed",
    "move",
    "queue_dir",
    "queue_mutex",
    "queued",
    "remove",
    "remove_started",
]

_KEY_STEP = 1024
"""Gap between the order keys of runs added one after another: a move takes a key in between."""
_ENTRY = re.compile(r"(\d+)-(.+)\.toml")


@dataclass(frozen=True)
class QueuedRun:
    """One run waiting in the queue."""

    name: str
    position: int
    """1 = the next to start."""
    key: int
    """Order key (its file name's number)."""
    config: TrainConfig
    data_dir: str | None
    added: float
    """Unix time it was queued."""
    path: Path
    failed: str | None = None
    """Why its trainer could not start (the runner skips it; `queue rm` clears it)."""

    @property
    def devices(self) -> str:
        """The devices it asks for, as typed: "auto", "cpu", "1,3"."""
        return self.config.devices

    @property
    def preset(self) -> str:
        return self.config.preset


@contextlib.contextmanager
def queue_mutex(models_dir: Path) -> Iterator[None]:
    """Hold the queue's edit lock (a flock: the kernel drops it when its holder dies)."""
    folder = queue_dir(models_dir)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / ".mutex", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the flock


def _entries(models_dir: Path) -> list[tuple[int, str, Path]]:
    try:
        names = os.listdir(queue_dir(models_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for file_name in names:
        match = _ENTRY.fullmatch(file_name)
        if match and valid_run_name(match.group(2)):
            found.append((int(match.group(1)), match.group(2), queue_dir(models_dir) / file_name))
    return sorted(found)


def _read_entry(key: int, name: str, path: Path, position: int) -> QueuedRun | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data.get("config"), dict):
            return None
        config = config_from_dict(data["config"]).validate()
    except (OSError, ValueError, ConfigError):  # removed meanwhile, or not ours: skip it
        return None
    data_dir = data.get("data_dir")
    failed = data.get("failed")
    return QueuedRun(
        name=name,
        position=position,
        key=key,
        config=config,
        data_dir=data_dir if isinstance(data_dir, str) else None,
        added=float(data.get("added", 0.0)),
        path=path,
        failed=failed if isinstance(failed, str) else None,
    )


def queued(models_dir: Path) -> list[QueuedRun]:
    """The queued runs in order (position 1 first); failed ones keep their place.

    Args:
        models_dir: the models folder.

    Returns:
        The runs; [] without a queue.
    """
    runs: list[QueuedRun] = []
    for key, name, path in _entries(models_dir):
        entry = _read_entry(key, name, path, len(runs) + 1)
        if entry is not None:
            runs.append(entry)
    return runs


def _entry_text(
    config: TrainConfig, data_dir: str | None, failed: str | None = None, added: float | None = None
) -> str:
    data: dict[str, Any] = {"added": time.time() if added is None else added}
    if data_dir:
        data["data_dir"] = data_dir
    if failed:
        data["failed"] = failed
    data["config"] = config.validate().to_dict()
    return "# a queued cifar-tui run (cifar-tui queue)\n" + tomli_w.dumps(data)


def _check_names(models_dir: Path, names: list[str]) -> None:
    queued_names = {name for _, name, _ in _entries(models_dir)}
    seen: set[str] = set()
    for name in names:
        if not valid_run_name(name):
            raise UserError(f"bad run name {name!r}: use a plain folder name like 2026-11-25_fast")
        if name in seen or name in queued_names:
            raise UserError(f"run {name} is already queued; pick another name")
        if os.path.lexists(Path(models_dir) / name):
            raise UserError(f"a run named {name} already exists in {models_dir}; pick another name")
        seen.add(name)


def enqueue(
    models_dir: Path, entries: list[tuple[str, TrainConfig]], data_dir: str | None
) -> list[str]:
    """Queue runs at the end of the queue, in order; all of them or, on a bad one, none.

    Args:
        models_dir: the models folder (created if missing).
        entries: (run name, config) pairs; every config is validated first.
        data_dir: the CIFAR-10 location their trainers get (None: they search); stored as an
            absolute path, since the runner may be started later from another folder.

    Returns:
        The names queued, in order.

    Raises:
        UserError: a name is not a folder name, or is taken by a run or a queued run; or a
            config is invalid (ConfigError). Nothing is queued then.
    """
    models_dir = Path(models_dir)
    if data_dir:
        data_dir = str(Path(data_dir).expanduser().absolute())
    with queue_mutex(models_dir):
        _check_names(models_dir, [name for name, _ in entries])
        texts = [(name, _entry_text(config, data_dir)) for name, config in entries]
        existing = _entries(models_dir)
        key = existing[-1][0] if existing else 0
        for name, text in texts:
            key += _KEY_STEP
            atomic_write_text(queue_dir(models_dir) / f"{key:06d}-{name}.toml", text)
    return [name for name, _ in entries]


def _find(models_dir: Path, name: str) -> tuple[int, str, Path]:
    for entry in _entries(models_dir):
        if entry[1] == name:
            return entry
    names = ", ".join(queued_name for _, queued_name, _ in _entries(models_dir)) or "none"
    raise UserError(f"run {name!r} is not queued (queued: {names}); see cifar-tui queue")


def remove(models_dir: Path, name: str) -> None:
    """Take a run out of the queue (a run already started is not queued any more).

    Raises:
        UserError: no queued run has that name, or its trainer is starting.
    """
    with queue_mutex(models_dir):
        _, _, path = _find(models_dir, name)
        if claim_held(models_dir, name):
            raise UserError(
                f"run {name} is starting; it leaves the queue in a moment "
                f"(then stop it with cifar-tui stop {name})"
            )
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def move(models_dir: Path, name: str, position: int) -> None:
    """Move a queued run to `position` (1 = next to start; past the end = last).

    Raises:
        UserError: no queued run has that name, or the position is below 1.
    """
    if position < 1:
        raise UserError(f"position {position} is not a queue position; 1 is the next to start")
    with queue_mutex(models_dir):
        key, _, path = _find(models_dir, name)
        others = [entry for entry in _entries(models_dir) if entry[1] != name]
        index = min(position, len(others) + 1) - 1
        low = others[index - 1][0] if index > 0 else 0
        high = others[index][0] if index < len(others) else low + 2 * _KEY_STEP
        if high - low < 2:  # no whole number between: spread the keys out again
            others = _renumber(models_dir, others)
            low = others[index - 1][0] if index > 0 else 0
            high = others[index][0] if index < len(others) else low + 2 * _KEY_STEP
        os.replace(path, path.with_name(f"{(low + high) // 2:06d}-{name}.toml"))


def _renumber(
    models_dir: Path, entries: list[tuple[int, str, Path]]
) -> list[tuple[int, str, Path]]:
    # Keys only grow (each new key is above every old one), so a kill half-way keeps the order.
    top = max((key for key, _, _ in _entries(models_dir)), default=0)
    renumbered = []
    for offset, (_, name, path) in enumerate(entries, start=1):
        key = top + offset * _KEY_STEP
        new_path = path.with_name(f"{key:06d}-{name}.toml")
        os.replace(path, new_path)
        renumbered.append((key, name, new_path))
    return renumbered


def mark_failed(models_dir: Path, run: QueuedRun, reason: str | None) -> None:
    """Keep a run whose trainer could not start in the queue, marked failed with `reason`
    (None clears the mark: `cifar-tui queue retry`)."""
    with queue_mutex(models_dir), contextlib.suppress(FileNotFoundError):
        if run.path.exists():
            atomic_write_text(run.path, _entry_text(run.config, run.data_dir, reason, run.added))


def remove_started(models_dir: Path, name: str) -> None:
    """Drop the queue file of a run whose trainer has started (no error if already gone)."""
    with queue_mutex(models_dir):
        for _, queued_name, path in _entries(models_dir):
            if queued_name == name:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
