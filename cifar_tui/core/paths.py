"""Paths a user typed, checked for their kind before any work: one line (UserError) when wrong.

A file where a folder is expected and the reverse, a dangling symbolic link, and a folder that
cannot be created are all refused here, so every verb and the app say it the same way instead
of ending in a traceback (FileExistsError) or a misleading "no runs yet".
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cifar_tui.core.errors import UserError

__all__ = ["require_dir", "require_file", "require_path"]


def _kind(path: Path) -> str:
    return "a folder" if path.is_dir() else "a file" if path.is_file() else "not a regular file"


def require_path(path: Path, what: str, fix: str = "give a file or a folder") -> Path:
    """Refuse a dangling symbolic link or a special file (fifo, device, socket) as `what`.

    For inputs that may be a file or a folder (--data-dir); a missing path passes, for the
    caller to report in its own words. `fix` ends the message: what to give instead.
    """
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise UserError(
            f"{what} {path} is a broken symbolic link (to {os.readlink(path)}, which does not "
            "exist); fix the link or give the real path"
        )
    if path.exists() and not (path.is_dir() or path.is_file()):
        raise UserError(f"{what} {path} is not a regular file or folder; {fix}")
    return path


def require_file(
    path: Path, what: str, *, missing_ok: bool = False, fix: str = "give a file"
) -> Path:
    """Refuse `path` as `what` unless it is a file (or, with `missing_ok`, nothing yet).

    Raises:
        UserError: it is a folder, a dangling link or a special file, or (without
            `missing_ok`) it does not exist.
    """
    path = require_path(path, what, fix)
    if path.is_file() or (missing_ok and not path.exists()):
        return path
    if not path.exists():
        raise UserError(f"{what} {path} not found; check the path")
    raise UserError(f"{what} {path} is {_kind(path)}, not a file; {fix}")


def require_dir(
    path: Path,
    what: str,
    *,
    create: bool = False,
    missing_ok: bool = False,
    fix: str = "give a folder",
) -> Path:
    """Refuse `path` as `what` unless it is a folder, or a missing one that may come later.

    Args:
        path: the path typed.
        what: how the user named it (a flag such as --models-dir, or RUN).
        create: a missing folder is fine if it can be created (probed beside it, so a later
            error leaves nothing behind and processes sharing the folder do not race).
        missing_ok: a missing folder is fine as it is (a reader that finds nothing there).
        fix: what to give instead, the end of the message.

    Raises:
        UserError: it is a file, a dangling link or a special file; or it is missing and
            cannot be created (`create`) or must exist (neither flag).
    """
    path = require_path(path, what, fix)
    if path.exists():
        kind = _kind(path)  # read once: another process may create the folder meanwhile
        if kind == "a folder":
            return path
        raise UserError(f"{what} {path} is {kind}, not a folder; {fix}")
    missing = _missing_folders(path, what)
    if missing_ok:
        return path
    if not create:
        raise UserError(f"{what} {path} not found; {fix}")
    _probe_create(missing, path, what)
    return path


def _missing_folders(path: Path, what: str) -> list[Path]:
    """The folders that creating `path` would make, innermost first; refused under a file."""
    missing = [path.absolute()]
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise UserError(
                    f"{what} {path} cannot be a folder: {parent} is {_kind(parent)}, not a "
                    "folder; give a folder"
                )
            break
        missing.append(parent)
    return missing


def _probe_create(missing: list[Path], path: Path, what: str) -> None:
    """Whether the outermost missing folder could be made, by making a private sibling of it.

    The real path is never created or removed here: processes that share a folder (the workers
    of one multi-worker run, a queue runner and its trainers) check it at the same moment, and a
    probe that made and removed the real folder made another process's probe fail (it exists)
    or removed the folder under another process's feet.
    """
    outermost = missing[-1]
    probe = outermost.parent / f".{outermost.name[:40]}.probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        probe.mkdir()
    except OSError as error:
        raise UserError(
            f"{what} {path} cannot be created ({error.strerror}); give a folder you can write to"
        ) from None
    with contextlib.suppress(OSError):
        probe.rmdir()
