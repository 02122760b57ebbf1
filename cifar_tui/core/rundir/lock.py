"""trainer.lock: at most one trainer writes to a run folder; stale locks are taken over safely."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.fields import finite_number

__all__ = ["RunLock", "RunLockedError", "holder_alive", "lock_holder_alive", "read_lock"]

_REUSE_SLACK_SECONDS = 60.0
"""A holder pid whose process started this long after the lock did is a reused pid, not the
trainer; generous so a clock adjustment while training never breaks a live lock."""


_BREAKER_STALE_SECONDS = 10.0
"""A lock.break this old was left by a taker that died between creating and removing it (the
window is microseconds, so this is only a safety net)."""


class RunLockedError(UserError):
    """Another trainer holds the run's lock."""


def _parse_lock(data: bytes) -> dict[str, Any] | None:
    try:
        info = json.loads(data)
    except ValueError:
        return None
    if not (
        isinstance(info, dict)
        and isinstance(info.get("pid"), int)
        and not isinstance(info["pid"], bool)
        and info["pid"] > 0  # os.kill(0, ...) would address our own process group
        and isinstance(info.get("host"), str)
    ):
        return None
    return info


def read_lock(path: Path) -> dict[str, Any] | None:
    """Read a trainer.lock file.

    Args:
        path: the lock file.

    Returns:
        {"pid", "host", "started"}, or None if the file is missing or not a valid lock.
    """
    try:
        return _parse_lock(Path(path).read_bytes())
    except OSError:  # missing, or not a readable file: either way no lock anyone can honour
        return None


def _process_start_time(pid: int) -> float | None:
    # Linux only: /proc/<pid>/stat field 22 is the start time in clock ticks since boot.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def holder_alive(info: dict[str, Any] | None) -> bool:
    """Whether the holder named by lock info (from `read_lock`) is alive; None means no holder."""
    if info is None:
        return False
    if info["host"] != socket.gethostname():
        return True  # we cannot check a process on another machine, so assume it is training
    pid = int(info["pid"])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # the pid exists but belongs to another user
    process_started, lock_started = _process_start_time(pid), finite_number(info.get("started"))
    if process_started is not None and lock_started is not None:
        # After a reboot the dead trainer's pid may belong to an unrelated, younger process.
        return process_started <= lock_started + _REUSE_SLACK_SECONDS
    return True


def lock_holder_alive(path: Path) -> bool:
    """Whether a live trainer holds this lock (a lock from another host counts as live).

    Args:
        path: the lock file.

    Returns:
        False for a missing or garbage lock, or a dead (or reused) pid on this host.
    """
    return holder_alive(read_lock(path))


def _clock(timestamp: Any) -> str:
    number = finite_number(timestamp)
    if number is None:
        return "an unknown time"
    moment = datetime.fromtimestamp(number)
    if moment.date() == datetime.now().date():
        return moment.strftime("%H:%M")
    return moment.strftime("%Y-%m-%d %H:%M")


class RunLock:
    """trainer.lock: at most one trainer writes to a run folder at a time."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.info: dict[str, Any] | None = None
        """What we wrote into the lock while we hold it."""

    @property
    def _run_name(self) -> str:
        return self.path.parent.name

    def _locked_error(self, info: dict[str, Any]) -> RunLockedError:
        who = f"pid {info['pid']} on host {info['host']} since {_clock(info.get('started'))}"
        if info["host"] != socket.gethostname():
            return RunLockedError(
                f"run {self._run_name} is locked by {who}, another machine, so its trainer cannot "
                f"be checked from here; if it is gone, delete {self.path}"
            )
        return RunLockedError(
            f"run {self._run_name} is already being trained by {who}; stop it first "
            f"(cifar-tui stop {self._run_name}) or wait"
        )

    def _try_create(self, data: bytes) -> bool:
        # The lock appears complete or not at all: written to a temp file, then hard-linked into
        # place (link fails if the name exists), so no reader ever sees an empty lock and takes
        # it for garbage.
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            temp.write_bytes(data)
            os.link(temp, self.path)
            return True
        except FileExistsError:
            return False
        except OSError:
            # Filesystems without hard links: O_EXCL still guarantees a single winner.
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                return False
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

    def _break_stale(self, seen: bytes) -> None:
        # Only the holder of lock.break may delete a stale lock, and only if the lock still holds
        # the bytes we judged stale: two racing takers cannot delete each other's fresh lock.
        breaker = self.path.with_name(self.path.name + ".break")
        try:
            fd = os.open(breaker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                if time.time() - breaker.stat().st_mtime > _BREAKER_STALE_SECONDS:
                    breaker.unlink()
            time.sleep(0.01)
            return
        os.close(fd)
        try:
            with contextlib.suppress(FileNotFoundError):
                if self.path.read_bytes() == seen:
                    self.path.unlink()
        finally:
            breaker.unlink()

    def acquire(self) -> None:
        """Take the lock, taking over a stale one (dead pid on this host, or garbage).

        Raises:
            RunLockedError: a live trainer (or one on another host) holds the lock.
        """
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        data = json.dumps(info).encode()
        deadline = time.monotonic() + _BREAKER_STALE_SECONDS + 5.0  # outwaits a stale lock.break
        while time.monotonic() < deadline:
            if self._try_create(data):
                self.info = info
                self._remove_litter()
                return
            try:
                seen = self.path.read_bytes()
            except FileNotFoundError:
                continue  # released in between: just try again
            holder = _parse_lock(seen)
            if holder is not None and holder_alive(holder):
                raise self._locked_error(holder)
            self._break_stale(seen)  # a dead holder, or garbage (e.g. a disk-full empty file)
        raise RunLockedError(f"could not take over the stale lock {self.path}; delete it and retry")

    def _remove_litter(self) -> None:
        # A taker killed between writing its temp file and unlinking it (a microsecond window)
        # leaves `.trainer.lock.PID.TID.tmp`. Once we hold the lock, any such file is litter:
        # a taker racing us would only lose its temp, and then find the lock held.
        pattern = re.compile(re.escape(f".{self.path.name}.") + r"\d+\.\d+\.tmp")
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.path.parent):
                if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)

    def release(self) -> None:
        """Remove the lock if it is still ours (never someone else's that replaced a stale one)."""
        if self.info is not None and read_lock(self.path) == self.info:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
        self.info = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()
