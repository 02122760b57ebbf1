"""Runs side by side (core/analysis/compare*.py, the versus selection): table-driven."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from run_fixtures import EPOCH_SECONDS, fake_predictions, write_run

from cifar_tui.core.analysis.captions import describe_view
from cifar_tui.core.analysis.compare import (
    RunCurves,
    band,
    curve_lines,
    differing_fields,
    ema,
    group_labels,
    plot_groups,
    points,
    run_stats,
    seed_groups,
    seedless_label,
    sort_runs,
)
from cifar_tui.core.analysis.compare_data import compare_classes, read_comparison, read_curves
from cifar_tui.core.analysis.predictions import (
    PredictionView,
    comparable,
    select,
    versus_mask,
)
from cifar_tui.core.data.cifar10 import CLASS_NAMES
from cifar_tui.core.rundir.artifacts import Predictions


def curves(
    name: str, values: list[float | None], seconds: float = 60.0, **config: Any
) -> RunCurves:
    """A run with val_accuracy `values` on epochs 1..N, each epoch `seconds` long."""
    epochs = list(range(1, len(values) + 1))
    elapsed = [seconds * epoch for epoch in epochs]
    return RunCurves(name, dict(config), epochs, elapsed, {"val_accuracy": values})


@pytest.mark.parametrize(
    ("values", "weight", "expected"),
    [
        ([], 0.6, []),
        ([1.0], 0.6, [1.0]),
        ([0.0, 1.0, 1.0], 0.5, [0.0, 0.5, 0.75]),
        ([2.0, 2.0, 2.0], 0.9, [2.0, 2.0, 2.0]),
        ([0.0, 1.0], 0.0, [0.0, 1.0]),  # no smoothing
    ],
)
def test_ema(values: list[float], weight: float, expected: list[float]) -> None:
    assert ema(values, weight) == pytest.approx(expected)


@pytest.mark.parametrize("weight", [-0.1, 1.0, 1.5])
def test_ema_refuses_a_weight_outside_0_1(weight: float) -> None:
    with pytest.raises(ValueError, match="EMA weight"):
        ema([1.0], weight)


@pytest.mark.parametrize(
    ("values", "by_time", "expected"),
    [
        ([0.1, 0.2, 0.3], False, ([1.0, 2.0, 3.0], [0.1, 0.2, 0.3])),
        ([0.1, None, 0.3], False, ([1.0, 3.0], [0.1, 0.3])),  # a gap, not a zero
        ([0.1, float("nan"), 0.3], False, ([1.0, 3.0], [0.1, 0.3])),
        ([0.1, 0.2, 0.3], True, ([1.0, 2.0, 3.0], [0.1, 0.2, 0.3])),  # 60 s epochs: minutes
    ],
)
def test_points_by_epoch_and_by_time(
    values: list[float | None], by_time: bool, expected: tuple[list[float], list[float]]
) -> None:
    assert points(curves("a", values), "val_accuracy", by_time) == expected


def test_points_by_time_follow_each_runs_own_epoch_times() -> None:
    slow = curves("slow", [0.1, 0.2], seconds=120.0)
    assert points(slow, "val_accuracy", by_time=True)[0] == [2.0, 4.0]


@pytest.mark.parametrize(
    ("configs", "groups"),
    [
        ([{"seed": 0, "lr": 0.1}, {"seed": 1, "lr": 0.1}, {"seed": 0, "lr": 0.2}], [[0, 1], [2]]),
        ([{"seed": 0}, {"seed": 1}, {"seed": 2}], [[0, 1, 2]]),
        ([{"lr": 0.1}, {"lr": 0.2}], [[0], [1]]),
        ([{"seed": 0, "lr": 0.1}, {"seed": 1}], [[0], [1]]),  # a missing field differs
        ([{"lr": 0.1, "seed": 5}, {"seed": 5, "lr": 0.1}], [[0, 1]]),  # field order is no matter
    ],
)
def test_seed_groups(configs: list[dict[str, Any]], groups: list[list[int]]) -> None:
    runs = [curves(f"r{index}", [0.5], **config) for index, config in enumerate(configs)]
    found = seed_groups(runs)
    assert [[runs.index(run) for run in group] for group in found] == groups


@pytest.mark.parametrize(
    ("series", "expected"),
    [
        # mean, min, max at each epoch
        (
            [[0.1, 0.2, 0.3], [0.3, 0.4, 0.5]],
            ([1.0, 2.0, 3.0], [0.2, 0.3, 0.4], [0.1, 0.2, 0.3], [0.3, 0.4, 0.5]),
        ),
        # only the epochs every member has: the shorter run ends the band
        ([[0.1, 0.2, 0.3], [0.3, 0.4]], ([1.0, 2.0], [0.2, 0.3], [0.1, 0.2], [0.3, 0.4])),
        # an epoch without a value in one member is left out
        ([[0.1, None, 0.3], [0.3, 0.4, 0.5]], ([1.0, 3.0], [0.2, 0.4], [0.1, 0.3], [0.3, 0.5])),
        ([[0.5], [0.5], [0.8]], ([1.0], [0.6], [0.5], [0.8])),
    ],
)
def test_band(series: list[list[float | None]], expected: tuple[list[float], ...]) -> None:
    members = [curves(f"r{index}", values) for index, values in enumerate(series)]
    found = band(members, "val_accuracy")
    for got, want in zip(found, expected, strict=True):
        assert got == pytest.approx(want)


def test_band_by_time_puts_each_epoch_at_the_members_mean_time() -> None:
    members = [curves("a", [0.1, 0.2], seconds=60.0), curves("b", [0.3, 0.4], seconds=180.0)]
    x, mean, _, _ = band(members, "val_accuracy", by_time=True)
    assert x == pytest.approx([2.0, 4.0])  # (1 + 3) / 2 minutes, then (2 + 6) / 2
    assert mean == pytest.approx([0.2, 0.3])


def test_curve_lines_draw_a_seed_group_as_its_mean_with_a_band() -> None:
    runs = [
        curves("2026-11-25_1915_lr0.1-seed0", [0.2, 0.4], seed=0, lr=0.1),
        curves("2026-11-25_2015_lr0.1-seed1", [0.4, 0.6], seed=1, lr=0.1),
        curves("2026-11-25_2115_lr0.2-seed0", [0.5, 0.5], seed=0, lr=0.2),
    ]
    group, single = curve_lines(runs, "val_accuracy")
    assert group.label == "lr0.1 (mean of 2 seeds)"
    assert group.y == pytest.approx([0.3, 0.5])
    assert (group.low, group.high) == (pytest.approx([0.2, 0.4]), pytest.approx([0.4, 0.6]))
    assert group.runs == ("2026-11-25_1915_lr0.1-seed0", "2026-11-25_2015_lr0.1-seed1")
    assert (single.label, single.y, single.low) == ("lr0.2-seed0", [0.5, 0.5], None)
    # Labels that share nothing but "seed": the group is named by what the full names share.
    named = [curves("small-seed0", [0.1], seed=0), curves("small-seed1", [0.2], seed=1)]
    named.append(curves("small-lr0.01", [0.3], seed=0, learning_rate=0.01))
    assert curve_lines(named, "val_accuracy")[0].label == "small (mean of 2 seeds)"
    smoothed = curve_lines(runs, "val_accuracy", smooth=True)[0]
    assert smoothed.y == pytest.approx(ema([0.3, 0.5]))
    assert smoothed.low == pytest.approx(ema([0.2, 0.4]))


@pytest.mark.parametrize(
    ("names", "labels"),
    [
        (["2026-11-25_1915_fast", "2026-11-25_2015_quick"], ["fast", "quick"]),
        # the same label twice: the names less what they share
        (["2026-11-25_1915_fast", "2026-11-26_1915_fast"], ["25_1915_fast", "26_1915_fast"]),
        (["alpha", "beta"], ["alpha", "beta"]),
        (["run-a", "run-b"], ["a", "b"]),
        (["only"], ["only"]),
    ],
)
def test_group_labels(names: list[str], labels: list[str]) -> None:
    found = group_labels([curves(name, []) for name in names])
    assert [found[name] for name in names] == labels


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["lr0.1-seed0", "lr0.1-seed1"], "lr0.1"),
        (["fast-lr0.1-seed1", "fast-lr0.1-seed12"], "fast-lr0.1"),
        (["x", "y"], ""),
        (["seed0", "seed1"], ""),
    ],
)
def test_seedless_label(labels: list[str], expected: str) -> None:
    assert seedless_label(labels) == expected


@pytest.mark.parametrize(
    ("configs", "expected"),
    [
        ([{"lr": 0.1, "seed": 0}, {"lr": 0.2, "seed": 0}], ["lr"]),
        ([{"lr": 0.1, "seed": 0}, {"lr": 0.1, "seed": 1}], ["seed"]),
        ([{"a": 1}, {"a": 1, "b": 2}], ["b"]),  # present in one only
        ([{"d": [0.1, 0.2]}, {"d": [0.1, 0.3]}, {"d": [0.1, 0.2]}], ["d"]),  # lists compare
        ([{"a": 1, "b": 2}, {"b": 2, "a": 1}], []),
        ([{"z": 1, "a": 1}, {"z": 2, "a": 2}], ["a", "z"]),  # sorted
    ],
)
def test_differing_fields(configs: list[dict[str, Any]], expected: list[str]) -> None:
    assert differing_fields(configs) == expected


@pytest.mark.parametrize(
    ("values", "best", "final", "best_epoch", "seconds"),
    [
        ([0.5, 0.7, 0.6], 0.7, 0.6, 2, 180.0),
        ([0.5, 0.7, 0.7], 0.7, 0.7, 2, 180.0),  # the first of equal bests
        ([None, 0.4, None], 0.4, 0.4, 2, 180.0),
        ([], None, None, None, None),
    ],
)
def test_run_stats(
    values: list[float | None],
    best: float | None,
    final: float | None,
    best_epoch: int | None,
    seconds: float | None,
) -> None:
    stats = run_stats(curves("a", values))
    assert (stats.best, stats.final, stats.best_epoch, stats.seconds) == (
        best, final, best_epoch, seconds,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("column", "order"),
    [
        ("name", ["a", "b", "c"]),
        ("best", ["b", "c", "a"]),  # best first
        ("seconds", ["c", "a", "b"]),  # fastest first
        ("lr", ["c", "a", "b"]),  # a setting: ascending, a run without it last
    ],
)
def test_sort_runs(column: str, order: list[str]) -> None:
    runs = [
        curves("a", [0.5], seconds=60.0, lr=0.2),
        curves("b", [0.9], seconds=90.0),
        curves("c", [0.7], seconds=30.0, lr=0.1),
    ]
    assert [run.name for run in sort_runs(runs, column)] == order


def predictions(labels: list[int], predicted: list[int]) -> Predictions:
    probabilities = np.full((len(labels), 10), 0.01, np.float32)
    probabilities[np.arange(len(labels)), predicted] = 0.91
    return Predictions(probabilities, np.array(labels, np.int64), epoch=1)


LABELS = [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("a", "b", "versus", "expected"),
    [
        # right in A, wrong in B
        ([0, 1, 2, 3, 4, 5], [0, 9, 2, 9, 4, 9], "right-wrong", [1, 3, 5]),
        ([0, 1, 2, 3, 4, 5], [0, 9, 2, 9, 4, 9], "wrong-right", []),
        ([9, 1, 9, 3, 4, 9], [0, 9, 2, 3, 9, 9], "right-wrong", [1, 4]),
        ([9, 1, 9, 3, 4, 9], [0, 9, 2, 3, 9, 9], "wrong-right", [0, 2]),
        # both wrong or both right: in neither
        ([9, 9, 9, 9, 9, 9], [8, 8, 8, 8, 8, 8], "right-wrong", []),
    ],
)
def test_versus_selection(a: list[int], b: list[int], versus: str, expected: list[int]) -> None:
    mine, theirs = predictions(LABELS, a), predictions(LABELS, b)
    assert np.flatnonzero(versus_mask(mine, theirs, versus)).tolist() == expected
    view = PredictionView(versus=versus)
    assert select(mine, view, theirs).tolist() == expected
    assert select(mine, view).tolist() == list(range(6))  # no other run: no filter


def test_versus_combines_with_the_other_filters() -> None:
    mine = predictions(LABELS, [0, 1, 2, 3, 4, 5])
    theirs = predictions(LABELS, [9, 9, 9, 9, 4, 5])
    view = PredictionView(versus="right-wrong", true_class=2)
    assert select(mine, view, theirs).tolist() == [2]


@pytest.mark.parametrize(
    ("labels_b", "reason"),
    [
        (LABELS, None),
        ([0, 1, 2, 3, 4, 6], "different test sets"),
        ([0, 1, 2], "different test sets"),
    ],
)
def test_runs_of_different_test_sets_are_not_compared(
    labels_b: list[int], reason: str | None
) -> None:
    mine = predictions(LABELS, LABELS)
    theirs = predictions(labels_b, labels_b)
    found = comparable(mine, theirs)
    assert (found is None) if reason is None else (reason in (found or ""))
    if reason is not None:
        assert "\n" not in (found or "")
        with pytest.raises(ValueError, match="different test sets"):
            versus_mask(mine, theirs, "right-wrong")


def test_per_class_side_by_side_with_the_difference() -> None:
    mine = predictions([0, 0, 1, 1, 2, 2], [0, 0, 1, 9, 9, 9])
    theirs = predictions([0, 0, 1, 1, 2, 2], [0, 9, 1, 1, 2, 9])
    found = compare_classes(("a", "b"), mine, theirs)
    assert found.a is not None and found.b is not None and found.difference is not None
    assert found.a[:3].tolist() == [1.0, 0.5, 0.0]
    assert found.b[:3].tolist() == [0.5, 1.0, 0.5]
    assert found.difference[:3].tolist() == [-0.5, 0.5, 0.5]
    assert math.isnan(found.a[3])  # no images of class 3
    other_set = predictions([0, 0, 1, 1, 2, 3], [0, 0, 1, 1, 2, 3])
    refused = compare_classes(("a", "b"), mine, other_set)
    assert refused.a is None and refused.note and "different test sets" in refused.note
    missing = compare_classes(("a", "b"), mine, None)
    assert missing.note == "b has no predictions.npz yet"


def test_read_curves_and_comparison_from_run_folders(tmp_path: Path) -> None:
    first = write_run(tmp_path, "one", "finished", 4, 4, seed=0)
    second = write_run(tmp_path, "two", "stopped", 2, 5, seed=1)
    run = read_curves(first)
    assert run.epochs == [1, 2, 3, 4]
    assert run.elapsed == [EPOCH_SECONDS * epoch for epoch in range(1, 5)]
    assert run.config["seed"] == 0 and run.config["epochs"] == 4
    assert all(value is not None for value in run.metrics["val_accuracy"])
    data = read_comparison([first, second])
    assert [curves.name for curves in data.runs] == ["one", "two"]
    assert data.runs[1].epochs == [1, 2]
    # The fixtures' seeds draw different test labels: per class, they cannot be compared.
    assert data.classes is not None and data.classes.note is not None
    shared = fake_predictions(0)
    np.savez(second.predictions_path, **shared, epoch=np.int64(2))
    data = read_comparison([first, second])
    assert data.classes is not None and data.classes.note is None
    assert data.classes.difference is not None and not np.any(data.classes.difference)


def test_a_key_an_older_run_leaves_out_compares_as_its_preset_sets_it(tmp_path: Path) -> None:
    old = write_run(tmp_path, "old", "finished", 2, 2)
    new = write_run(tmp_path, "new", "finished", 2, 2)
    config = old.config_path.read_text()
    assert "jpeg_min_quality" not in config  # as a run from before the field was
    for quality, differing in [(40, []), (60, ["jpeg_min_quality"])]:
        new.config_path.write_text(f"{config}jpeg_min_quality = {quality}\n")
        runs = [read_curves(old), read_curves(new)]
        assert runs[0].config["jpeg_min_quality"] == 40  # from the recipe-2018 preset
        assert differing_fields([run.config for run in runs]) == differing


def test_a_config_of_an_unknown_preset_is_read_as_written(tmp_path: Path) -> None:
    run = write_run(tmp_path, "odd", "finished", 2, 2)
    run.config_path.write_text('preset = "from-the-future"\nepochs = 2\n')
    assert read_curves(run).config == {"preset": "from-the-future", "epochs": 2}


def test_a_run_without_events_has_no_curves(tmp_path: Path) -> None:
    run = write_run(tmp_path, "new", "created", 0, 5)
    found = read_curves(run)
    assert (found.epochs, run_stats(found).best) == ([], None)
    assert curve_lines([found], "val_accuracy")[0].x == []


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (PredictionView(versus="right-wrong"), "right in A, wrong in B"),
        (PredictionView(versus="wrong-right", true_class=3), "true cat · wrong in A, right in B"),
    ],
)
def test_the_browser_status_names_the_versus_filter(view: PredictionView, expected: str) -> None:
    assert describe_view(view, CLASS_NAMES) == expected


@pytest.mark.parametrize(
    ("seeds_and_rates", "lines"),
    [
        ([(0, 0.1), (1, 0.1), (0, 0.2)], [[0, 1], [2]]),
        ([(0, 0.1), (1, 0.1)], [[0], [1]]),  # only seeds compared: each its own line
        ([(0, 0.1), (1, 0.1), (2, 0.1)], [[0], [1], [2]]),
        ([(0, 0.1), (0, 0.2)], [[0], [1]]),
    ],
)
def test_plot_groups(seeds_and_rates: list[tuple[int, float]], lines: list[list[int]]) -> None:
    runs = [
        curves(f"r{i}", [0.5], seed=seed, lr=lr) for i, (seed, lr) in enumerate(seeds_and_rates)
    ]
    found = plot_groups(runs)
    assert [[runs.index(run) for run in group] for group in found] == lines
