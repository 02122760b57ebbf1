"""Byte sizes, sparklines and their sample history: pure text, in tables."""

from __future__ import annotations

import math

import pytest

from cifar_tui.ui.common.formatting import History, format_bytes, sparkline

GIB = 1024**3


def test_history_keeps_the_last_samples() -> None:
    history = History(maxlen=3)
    for value in [1, 2, None, 3, 4]:
        history.push(value)
    assert history.values() == [2.0, 3.0, 4.0]
    assert History().values() == []


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        pytest.param(0, "0 B", id="zero"),
        pytest.param(1023, "1023 B", id="bytes"),
        pytest.param(1024, "1.0 KiB", id="kib"),
        pytest.param(1536, "1.5 KiB", id="kib-half"),
        pytest.param(5 * 1024**2, "5.0 MiB", id="mib"),
        pytest.param(1024**2 - 1, "1.0 MiB", id="rounds-up-a-unit"),
        pytest.param(int(3.2 * GIB), "3.2 GiB", id="gib"),
        pytest.param(80 * GIB, "80.0 GiB", id="h100"),
        pytest.param(2 * 1024**4, "2.0 TiB", id="tib"),
        pytest.param(3 * 1024**6, "3072.0 PiB", id="beyond-pib"),
        pytest.param(-2048, "-2.0 KiB", id="negative"),
    ],
)
def test_format_bytes(n: int, expected: str) -> None:
    assert format_bytes(n) == expected


@pytest.mark.parametrize(
    ("values", "width", "kwargs", "expected"),
    [
        pytest.param([], 4, {}, "    ", id="empty"),
        pytest.param([0, 100], 2, {"high": 100}, "▁█", id="percent"),
        pytest.param([0, 25, 50, 75, 100], 5, {"high": 100}, "▁▃▅▆█", id="ramp"),
        pytest.param([1, 2, 3, 4], 2, {}, "▆█", id="keeps-newest"),
        pytest.param([5], 3, {}, "  █", id="pads-left"),
        pytest.param([0, 0], 2, {}, "▁▁", id="flat-zero"),
        pytest.param([150, -10], 2, {"high": 100}, "█▁", id="clamped"),
        pytest.param([1, math.nan, 1], 3, {}, "█ █", id="nan-gap"),
        pytest.param([10, 20], 2, {"low": 10, "high": 20}, "▁█", id="low-high"),
        pytest.param([1, 2], 0, {}, "", id="zero-width"),
    ],
)
def test_sparkline(values: list[float], width: int, kwargs: dict, expected: str) -> None:
    assert sparkline(values, width, **kwargs) == expected
