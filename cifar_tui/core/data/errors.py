"""DataError, the one error the data package raises, and the one-line form of what it wraps."""

from __future__ import annotations

from cifar_tui.core.errors import UserError


class DataError(UserError):
    """CIFAR-10 or a user's images are missing or unreadable; the message says where and the fix."""


def one_line(exc: BaseException, limit: int = 200) -> str:
    """An exception's text on one line of at most `limit` characters, for a DataError message."""
    return " ".join(str(exc).split())[:limit] or type(exc).__name__
