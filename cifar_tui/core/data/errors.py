"""DataError, the one error the data package raises, and the one-line form of what it wraps."""

from __future__ import annotations

from cifar_tui.core.errors import UserError


class DataError(UserError):
    """CIFAR-10 or a user's images are missing or unreadable; the message says where and the fix."""


def one_line(exc: BaseException) -> str:
    """An exception's text on one line of at most 200 characters, for a DataError message."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]
