"""Crash-safe file replacement: readers see the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "fsync_directory",
    "remove_temp_files",
]


def fsync_directory(directory: Path) -> None:
    """Flush a folder's entry list so a finished rename survives a power cut.

    Args:
        directory: the folder whose entries changed.
    """
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        # Some platforms (Windows) and network filesystems cannot open a folder; the rename itself
        # is still atomic there, only its durability across a power cut is weaker.
        return
    try:
        with contextlib.suppress(OSError):  # same reason: fsync of a folder fd is not universal
            os.fsync(fd)
    finally:
        os.close(fd)


def _temp_name(path: Path, suffix: str) -> Path:
    # A leading "." keeps temp files out of listings; the random part lets writers coexist.
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}{suffix}")


def remove_temp_files(path: Path) -> list[Path]:
    """Delete the temp files that writers of `path` killed mid-write (kill -9) left behind.

    Only call it while no one else can be writing `path` (the trainer does, holding the run lock).

    Args:
        path: the file whose leftover `.<name>.<random>.tmp...` siblings to remove.

    Returns:
        The files removed.
    """
    path = Path(path)
    pattern = re.compile(re.escape(f".{path.name}.") + r"[0-9a-f]{8}\.tmp")
    removed = []
    with contextlib.suppress(OSError):  # no folder: nothing left over
        for entry in os.scandir(path.parent):
            if pattern.match(entry.name) and entry.is_file(follow_symlinks=False):
                _remove_quietly(Path(entry.path))
                removed.append(Path(entry.path))
    return removed


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; on any error the old file is left untouched.

    Args:
        path: the file to write; its folder must exist.
        data: the complete new contents.
    """
    path = Path(path)
    while True:
        temp = _temp_name(path, ".tmp")
        try:
            # 0o666 lets the umask decide permissions as open() would (mkstemp forces 0600).
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        _remove_quietly(temp)
        raise
    fsync_directory(path.parent)


def atomic_write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Replace `path` with `text` atomically (see `atomic_write_bytes`).

    Args:
        path: the file to write; its folder must exist.
        text: the complete new contents.
        encoding: how to encode `text`.
    """
    atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temp path next to `path` for a library that writes files itself (`model.save`).

    The temp name keeps the target's suffix (Keras refuses a path not ending in ".keras"). When
    the block exits cleanly the temp file is fsynced and renamed onto `path`; otherwise it is
    deleted and `path` keeps its old contents.

    Args:
        path: the file to produce.

    Returns:
        An iterator yielding the temp path (use it in a `with` statement).
    """
    path = Path(path)
    temp = _temp_name(path, ".tmp" + "".join(path.suffixes))  # ".weights.h5" whole
    try:
        yield temp
        fd = os.open(temp, os.O_RDONLY)  # FileNotFoundError here means the block wrote nothing
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, path)
    except BaseException:
        _remove_quietly(temp)
        raise
    fsync_directory(path.parent)
