"""Axis ticks for the curves: whole epochs on x, round values (1/2/5 x 10^k apart) on y."""

from __future__ import annotations

import math
from decimal import Decimal

NICE_MANTISSAS = (1, 2, 5)
"""Tick steps are these times a power of ten: labels then differ in one digit, read at a glance."""


def epoch_ticks(epochs: list[int], most: int = 6) -> list[int]:
    """Up to `most` evenly spaced whole-epoch ticks, first and last included.

    plotext's own ticks fall on fractions (3.2); and ticks too close together make plotext drop
    one of them, which one depending on the process (so snapshots would differ run to run).
    """
    if not epochs:
        return []
    first, last = epochs[0], epochs[-1]
    if last == first or most < 2:
        return [first]
    step = max(1, -(-(last - first) // (most - 1)))  # ceiling division
    ticks = list(range(first, last + 1, step))
    if ticks[-1] != last:
        if last - ticks[-1] <= step / 2 and len(ticks) > 1:
            ticks[-1] = last  # too close to the previous tick: move that one to the end
        else:
            ticks.append(last)
    return ticks


def value_ticks(values: list[float], rows: int, most: int = 6) -> tuple[list[float], list[str]]:
    """Round y ticks inside the range of `values`, at their true values, and their labels.

    The step is the smallest 1, 2 or 5 x 10^k that leaves 2 to `most` ticks at least two rows
    apart (else one row apart: plotext puts a value on row floor(0.5 + (rows - 1) * fraction) and
    drops all but one of the ticks that share a row). If no step does, the roundest value in range
    is the one tick. Labels carry the digits the step needs ("0.45", "0.50" for a 0.05 step);
    values under 0.01 (learning rates) read as "9.5e-4". A flat series gets one tick at its value.

    Args:
        values: the plotted values; NaN and infinities are left out.
        rows: rows of the plotting area the range spans, from `min(values)` to `max(values)`.
        most: the most ticks wanted.

    Returns:
        (tick values, labels), ascending; ([], []) when no value is finite.
    """
    finite = [value for value in values if math.isfinite(value)]
    if not finite:
        return [], []
    low, high = min(finite), max(finite)
    scale = max(abs(low), abs(high))
    if high - low <= scale * 1e-9:  # flat, one point, or float noise on a constant
        return [low], [_single_label(low)]
    steps = _steps(high - low, max(most, 2))
    ticks = _spread_ticks(steps, low, high, rows, most)
    if ticks is None:  # the roundest value in range: a multiple of the largest step that has one
        step = next(step for step in reversed(steps) if _multiples(step, low, high))
        ticks = _multiples(step, low, high)[:1]
    else:
        step = ticks[1] - ticks[0]
    step_exponent = step.adjusted()
    scientific = scale < 1e-2 or scale >= 1e5
    return [float(tick) for tick in ticks], [
        _label(tick, step_exponent, scientific) for tick in ticks
    ]


def _steps(span: float, most: int) -> list[Decimal]:
    """Candidate steps, ascending: from one giving over `most` ticks to ones giving one or none."""
    exponent = math.floor(math.log10(span / most)) - 1
    return [
        Decimal(mantissa).scaleb(power)
        for power in range(exponent, exponent + 4)
        for mantissa in NICE_MANTISSAS
    ]


def _spread_ticks(
    steps: list[Decimal], low: float, high: float, rows: int, most: int
) -> list[Decimal] | None:
    """The multiples of the first step that gives 2 to `most` ticks two (else one) rows apart."""
    row = (high - low) / max(rows - 1, 1e-9)  # the value one row spans
    for gap in (2, 1):
        for step in steps:
            ticks = _multiples(step, low, high)
            if float(step) >= gap * row and 2 <= len(ticks) <= most:
                return ticks
    return None


def _multiples(step: Decimal, low: float, high: float) -> list[Decimal]:
    """The multiples of `step` in [low, high], exact (no 0.30000000000000004)."""
    size, slack = float(step), (high - low) * 1e-9  # a rounding error short of a tick still gets it
    first = math.ceil((low - slack) / size)
    last = math.floor((high + slack) / size)
    return [step * index for index in range(first, last + 1)]


def _label(tick: Decimal, step_exponent: int, scientific: bool) -> str:
    if not scientific:
        return f"{tick:.{max(0, -step_exponent)}f}"
    if tick == 0:
        return "0"
    return _scientific(tick, tick.adjusted() - step_exponent)


def _scientific(value: Decimal, digits: int) -> str:
    """`value` as mantissa and exponent, trailing zeros dropped: 9.5e-4, 1e-3, 1.25e5."""
    mantissa, exponent = f"{value:.{max(digits, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _single_label(value: float) -> str:
    """Up to six significant digits (a flat curve's one value), scientific as `_label` would."""
    scale = abs(value)
    if scale != 0 and (scale < 1e-2 or scale >= 1e5):
        return _scientific(Decimal(repr(value)), 5)
    return f"{value:.6g}"
