"""Plain text for device readings: byte sizes, sparklines and the short history they draw.

No Textual or Rich: pure functions the GPU pane wraps in styled text.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

SPARK_CHARS = "▁▂▃▄▅▆▇█"


class History:
    """The last `maxlen` samples of one metric, for a sparkline."""

    def __init__(self, maxlen: int = 60) -> None:
        """Args: maxlen: samples kept (60 at 1 Hz is the last minute)."""
        self._values: deque[float] = deque(maxlen=maxlen)

    def push(self, value: float | None) -> None:
        """Append one sample; None (a missing reading) is skipped."""
        if value is not None:
            self._values.append(float(value))

    def values(self) -> list[float]:
        """Oldest first."""
        return list(self._values)


def format_bytes(n: float) -> str:
    """Binary units, one decimal from KiB up: 0 -> "0 B", 3435973837 -> "3.2 GiB"."""
    if n < 0:
        return "-" + format_bytes(-n)
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    value = float(n)
    for unit in units[:-1]:
        if unit == "B" and value < 1024:
            return f"{int(value)} B"
        if unit != "B" and round(value, 1) < 1024:  # so 1023.97 KiB reads "1.0 MiB"
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} {units[-1]}"


def sparkline(
    values: Iterable[float], width: int, low: float = 0.0, high: float | None = None
) -> str:
    """Draw the last `width` values as "▁▂▃▄▅▆▇█", left-padded with spaces.

    Args:
        values: samples, oldest first; NaN draws as a space.
        width: characters wanted.
        low: value drawn as "▁".
        high: value drawn as "█"; None uses the largest value shown (100 suits percentages).

    Returns:
        Exactly `width` characters.
    """
    if width <= 0:
        return ""
    shown = list(values)[-width:]
    finite = [v for v in shown if not math.isnan(v)]
    top = high if high is not None else max(finite, default=low)
    span = top - low
    chars = []
    for value in shown:
        if math.isnan(value):
            chars.append(" ")
            continue
        fraction = 0.0 if span <= 0 else (value - low) / span
        level = round(min(1.0, max(0.0, fraction)) * (len(SPARK_CHARS) - 1))
        chars.append(SPARK_CHARS[level])
    return " " * (width - len(shown)) + "".join(chars)


def format_duration(seconds: float | None) -> str:
    """'42s', '3m 05s', '2h 07m'; '-' when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
