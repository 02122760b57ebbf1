"""The curves' axis ticks: round y values at their true places, labels that read as those values."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cifar_tui.ui.monitor.curve_ticks import epoch_ticks, value_ticks


@pytest.mark.parametrize(
    ("values", "rows", "ticks", "labels"),
    [
        pytest.param(
            [0.40, 0.867], 20, [0.4, 0.5, 0.6, 0.7, 0.8], ["0.4", "0.5", "0.6", "0.7", "0.8"],
            id="accuracy",
        ),
        pytest.param([0.40, 0.867], 6, [0.4, 0.6, 0.8], ["0.4", "0.6", "0.8"], id="accuracy-80x24"),
        pytest.param([0.62, 0.86], 20, [0.65, 0.7, 0.75, 0.8, 0.85],
                     ["0.65", "0.70", "0.75", "0.80", "0.85"], id="accuracy-late"),
        pytest.param([0.3, 2.3], 20, [0.5, 1.0, 1.5, 2.0], ["0.5", "1.0", "1.5", "2.0"], id="loss"),
        pytest.param([0.7736, 1.67], 6, [1.0, 1.5], ["1.0", "1.5"], id="loss-80x24"),
        pytest.param(
            [3e-4, 1e-3], 20, [4e-4, 6e-4, 8e-4, 1e-3], ["4e-4", "6e-4", "8e-4", "1e-3"],
            id="learning-rate",
        ),
        pytest.param(
            [0.000949, 0.001], 20, [9.5e-4, 9.6e-4, 9.7e-4, 9.8e-4, 9.9e-4, 1e-3],
            ["9.5e-4", "9.6e-4", "9.7e-4", "9.8e-4", "9.9e-4", "1e-3"], id="learning-rate-decay",
        ),
        pytest.param([0.000949, 0.001], 6, [9.5e-4, 1e-3], ["9.5e-4", "1e-3"],
                     id="learning-rate-decay-80x24"),
        pytest.param(
            [0.0, 0.2], 20, [0.0, 0.05, 0.1, 0.15, 0.2], ["0.00", "0.05", "0.10", "0.15", "0.20"],
            id="one-cycle",
        ),
        pytest.param(
            [0.0, 0.004], 20, [0.0, 1e-3, 2e-3, 3e-3, 4e-3], ["0", "1e-3", "2e-3", "3e-3", "4e-3"],
            id="warm-up-from-zero",
        ),
        pytest.param([2.0, 2.0, 2.0], 20, [2.0], ["2"], id="flat"),
        pytest.param([1e-3] * 4, 20, [1e-3], ["1e-3"], id="flat-learning-rate"),
        pytest.param([0.8667], 20, [0.8667], ["0.8667"], id="single-point"),
        pytest.param([1001.0, 1001.0 + 1e-9], 20, [1001.0], ["1001"], id="flat-large"),
        pytest.param([1.0, 1.0 + 1e-15], 20, [1.0], ["1"], id="float-noise-is-flat"),
        pytest.param(
            [0.85, 0.8500003], 20, [0.85, 0.8500001, 0.8500002, 0.8500003],
            ["0.8500000", "0.8500001", "0.8500002", "0.8500003"], id="very-small-range",
        ),
        pytest.param(
            [0.000999881, 0.000999991], 6, [0.0009999, 0.00099995], ["9.999e-4", "9.9995e-4"],
            id="very-small-learning-rate-range",
        ),
        # Two rows apart where that leaves two ticks, else one row apart (no two on one row) ...
        pytest.param([0.8626, 1.3411], 4, [1.0, 1.2], ["1.0", "1.2"], id="adjacent-rows"),
        # ... else the roundest value in range is the one tick.
        pytest.param([0.8626, 1.3411], 3, [1.0], ["1"], id="three-rows"),
        pytest.param([0.2, 0.8], 4, [0.5], ["0.5"], id="no-step-fits"),
        pytest.param([-0.3, 0.2], 20, [-0.3, -0.2, -0.1, 0.0, 0.1, 0.2],
                     ["-0.3", "-0.2", "-0.1", "0.0", "0.1", "0.2"], id="negative"),
        pytest.param([0.5, math.nan, math.inf, 1.5], 5, [0.5, 1.0, 1.5], ["0.5", "1.0", "1.5"],
                     id="non-finite-left-out"),
        pytest.param([math.nan], 20, [], [], id="nothing-finite"),
    ],
)  # fmt: skip
def test_value_ticks(values: list[float], rows: int, ticks: list[float], labels: list[str]) -> None:
    got_ticks, got_labels = value_ticks(values, rows)
    assert got_ticks == pytest.approx(ticks, rel=1e-12)
    assert got_labels == labels


@given(
    low=st.floats(-1e6, 1e6),
    span=st.floats(1e-6, 1e6),
    rows=st.integers(1, 60),
    most=st.integers(2, 8),
)
def test_value_ticks_are_round_values_on_their_own_rows_that_their_labels_spell(
    low: float, span: float, rows: int, most: int
) -> None:
    assume(span >= abs(low) * 1e-6)  # finer, and float rounding of the ticks is the larger error
    high = low + span
    ticks, labels = value_ticks([low, high], rows, most)
    assert 1 <= len(ticks) == len(labels) <= most
    assert all(low - span * 1e-9 <= tick <= high + span * 1e-9 for tick in ticks)
    # The row plotext puts each tick on (it keeps one tick per row): no two share one.
    on_rows = [math.floor(round(0.5 + (rows - 1) * (tick - low) / span, 8)) for tick in ticks]
    assert len(set(on_rows)) == len(on_rows)
    # What a label says is the tick's value (to the step's precision), and labels are distinct.
    assert len(set(labels)) == len(labels)
    if len(ticks) > 1:
        step = ticks[1] - ticks[0]
        assert all(math.isclose(b - a, step, rel_tol=1e-6) for a, b in pairwise(ticks))
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert min(abs(mantissa - nice) for nice in (1, 2, 5, 10)) < 1e-6
        assert all(
            abs(float(label) - tick) <= step * 1e-6
            for tick, label in zip(ticks, labels, strict=True)
        )
    else:
        assert float(labels[0]) == pytest.approx(ticks[0], rel=1e-5)  # six digits at least


@pytest.mark.parametrize(
    ("epochs", "most", "ticks"),
    [
        pytest.param([1, 2, 3], 6, [1, 2, 3], id="few"),
        pytest.param(list(range(1, 11)), 6, [1, 3, 5, 7, 10], id="ten"),
        pytest.param(list(range(1, 126)), 6, [1, 26, 51, 76, 101, 125], id="recipe"),
        pytest.param(list(range(1, 11)), 3, [1, 6, 10], id="narrow"),
        pytest.param([4], 6, [4], id="one-epoch"),
        pytest.param(list(range(1, 70)), 0, [1], id="no-room"),
        pytest.param([], 6, [], id="none"),
    ],
)
def test_epoch_ticks(epochs: list[int], most: int, ticks: list[int]) -> None:
    assert epoch_ticks(epochs, most) == ticks
