"""Start claims: `.queue/<name>.claim`, flock'ed by the runner and inherited by the trainer.

The runner takes the claim's flock before it starts a trainer, and the trainer inherits the open
file (pass_fds), so the kernel holds the claim from the trainer's first instant to its exit even
if the runner is killed. A later runner that finds a claim held knows a trainer for that run is
alive, and starts no second one; a claim nobody holds means no trainer for it is alive.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any

from cifar_tui.core.queue.paths import queue_dir

__all__ = ["Claim", "claim_held", "claim_info", "claim_names", "claim_path", "drop_claim"]

_SUFFIX = ".claim"


def claim_path(models_dir: Path, name: str) -> Path:
    """The claim file of queued run `name`."""
    return queue_dir(models_dir) / f"{name}{_SUFFIX}"


class Claim:
    """A held claim: an open, flock'ed file descriptor to hand to the trainer."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    @classmethod
    def take(cls, models_dir: Path, name: str, devices: object) -> Claim | None:
        """Take run `name`'s claim and record the devices its trainer will use.

        Returns:
            The claim, or None when a live trainer (or another runner) holds it.
        """
        path = claim_path(models_dir, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        # Written in place (a rename would make a new file, one without our flock); a torn
        # record only loses which devices a starting trainer uses, never the claim.
        record = json.dumps({"devices": devices, "pid": os.getpid(), "time": time.time()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, record.encode(), 0)
        return cls(fd, path)

    def release(self, remove: bool) -> None:
        """Close our descriptor (the trainer keeps its own); `remove` also deletes the file."""
        if remove:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        os.close(self.fd)


def claim_held(models_dir: Path, name: str) -> bool:
    """Whether a live process (a starting or running trainer, or a runner) holds the claim."""
    try:
        fd = os.open(claim_path(models_dir, name), os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def claim_info(models_dir: Path, name: str) -> dict[str, Any]:
    """What the claim records ({} if missing or torn)."""
    try:
        info = json.loads(claim_path(models_dir, name).read_bytes())
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def claim_names(models_dir: Path) -> list[str]:
    """Runs that have a claim file."""
    try:
        files = os.listdir(queue_dir(models_dir))
    except OSError:
        return []
    return sorted(f[: -len(_SUFFIX)] for f in files if f.endswith(_SUFFIX) and len(f) > 6)


def drop_claim(models_dir: Path, name: str) -> None:
    """Delete a claim file nobody holds (a leftover of a finished start)."""
    if not claim_held(models_dir, name):
        with contextlib.suppress(FileNotFoundError):
            claim_path(models_dir, name).unlink()
