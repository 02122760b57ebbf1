"""Reading values another process wrote (events, the lock): trust nothing about their types.

json.loads reads NaN and Infinity from a hand-edited file, and True is an int to Python: these
functions are the one place that decides what counts as a number, a whole number or a text.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["finite_number", "text_or_none", "whole_number"]


def finite_number(value: Any) -> float | None:
    """`value` as a float if it is a finite int or float (not a bool), else None.

    Args:
        value: anything json.loads returned.

    Returns:
        The number, or None for NaN, infinities, booleans, strings, None, lists and tables.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    try:
        return float(value)
    except OverflowError:  # an int of hundreds of digits: no float holds it
        return None


def whole_number(value: Any) -> int | None:
    """`value` as an int if it is a finite number with no fraction (3 and 3.0, not 2.5 or True)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = finite_number(value)
    return int(number) if number is not None and number.is_integer() else None


def text_or_none(value: Any) -> str | None:
    """`value` if it is a string, else None."""
    return value if isinstance(value, str) else None
