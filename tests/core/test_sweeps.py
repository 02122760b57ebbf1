"""Sweeps: several values per field, their product in a fixed order, one readable name per run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from cifar_tui.core.config import TrainConfig, config_fields
from cifar_tui.core.config_values import ConfigError
from cifar_tui.core.errors import UserError
from cifar_tui.core.presets import preset
from cifar_tui.core.rundir.naming import valid_run_name
from cifar_tui.core.sweeps import (
    ABBREVIATIONS,
    MAX_RUNS,
    expand_sweep,
    parse_sweep,
    short_name,
    value_token,
)


@pytest.mark.parametrize(
    ("texts", "field", "value"),
    [
        ({"learning_rate": "0.05"}, "learning_rate", 0.05),
        ({"seed": "7"}, "seed", 7),
        ({"optimizer": "adam"}, "optimizer", "adam"),
        ({"nesterov": "false"}, "nesterov", False),
        ({"dropout": "0.1,0.2,0.3"}, "dropout", [0.1, 0.2, 0.3]),
        ({"dropout": "[0.1, 0.2, 0.3]"}, "dropout", [0.1, 0.2, 0.3]),
        ({"lr_step_epochs": "5,10"}, "lr_step_epochs", [5, 10]),
        ({"lr_step_epochs": ""}, "lr_step_epochs", []),
        ({"devices": "1,3"}, "devices", "1,3"),
    ],
    ids=[
        "float",
        "int",
        "choice",
        "bool",
        "list",
        "list-brackets",
        "int-list",
        "empty-list",
        "devices",
    ],
)
def test_a_single_value_reads_as_before(texts: dict[str, str], field: str, value: object) -> None:
    sweep = parse_sweep(preset("fast"), texts)
    assert sweep.count == 1 and sweep.values == {}
    assert getattr(sweep.base, field) == value
    assert sweep.summary() == "1 run"


@pytest.mark.parametrize(
    ("texts", "swept"),
    [
        ({"learning_rate": "0.05,0.1,0.2"}, {"learning_rate": [0.05, 0.1, 0.2]}),
        ({"optimizer": "sgd, adam"}, {"optimizer": ["sgd", "adam"]}),
        ({"horizontal_flip": "true,false"}, {"horizontal_flip": [True, False]}),
        ({"dropout": "0.2,0.3,0.4/0,0,0"}, {"dropout": [[0.2, 0.3, 0.4], [0.0, 0.0, 0.0]]}),
        ({"lr_step_epochs": "5/5,10"}, {"lr_step_epochs": [[5], [5, 10]]}),
        ({"devices": "0/1,3/cpu"}, {"devices": ["0", "1,3", "cpu"]}),
    ],
    ids=["scalar-commas", "choices", "bools", "list-slashes", "lists-of-two-lengths", "devices"],
)
def test_several_values_make_a_sweep(texts: dict[str, str], swept: dict[str, object]) -> None:
    sweep = parse_sweep(preset("fast"), texts)
    assert sweep.values == swept
    field, values = next(iter(swept.items()))
    assert getattr(sweep.base, field) == values[0]  # type: ignore[index]


def test_the_product_runs_in_field_order_with_the_last_field_fastest() -> None:
    # Given in reverse order: the names follow the declaration order (learning_rate before seed).
    sweep = parse_sweep(preset("fast"), {"seed": "0,1,2", "learning_rate": "0.05,0.1,0.2"})
    assert sweep.summary() == "9 runs: lr x3, seed x3"
    runs = sweep.runs("fast")
    assert [name for name, _ in runs[:4]] == [
        "fast-lr0.05-seed0",
        "fast-lr0.05-seed1",
        "fast-lr0.05-seed2",
        "fast-lr0.1-seed0",
    ]
    assert [(c.learning_rate, c.seed) for _, c in runs[:4]] == [
        (0.05, 0),
        (0.05, 1),
        (0.05, 2),
        (0.1, 0),
    ]
    assert len({name for name, _ in runs}) == 9
    # Only the swept fields change; the rest stay the preset's.
    assert all(c.replace(learning_rate=0.2, seed=0) == preset("fast") for _, c in runs)


@pytest.mark.parametrize(
    ("field", "value", "token"),
    [
        ("learning_rate", 0.1, "lr0.1"),
        ("learning_rate", 1e-6, "lr1e-6"),
        ("warmup_epochs", 2.0, "warm2"),
        ("seed", 12, "seed12"),
        ("optimizer", "adam", "adam"),
        ("architecture", "airbench-small", "airbench-small"),
        ("mixed_precision", "off", "mpoff"),
        ("horizontal_flip", False, "noflip"),
        ("nesterov", True, "nesterov"),
        ("dropout", [0.2, 0.3, 0.4], "drop0.2_0.3_0.4"),
        ("lr_step_epochs", [], "steps"),
        ("devices", "1,3", "dev1_3"),
    ],
)
def test_value_tokens_are_short_and_readable(field: str, value: object, token: str) -> None:
    assert value_token(field, value) == token


def test_every_field_has_its_own_short_name() -> None:
    names = [spec.name for spec in config_fields()]
    assert set(names) & set(ABBREVIATIONS)
    shorts = [short_name(name) for name in names if short_name(name)]
    assert len(shorts) == len(set(shorts))
    assert short_name("some_new_field") == "somenewfield"


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (
            {"learning_rate": "0.1,-1,0.2"},
            "learning_rate value 2 of 3 must be > 0 and <= 10 (got -1.0)",
        ),
        ({"learning_rate": "0.1,,0.2"}, "learning_rate value 2 of 3 must be a float (got '')"),
        ({"seed": "0,1,x"}, "seed value 3 of 3 must be an int (got 'x')"),
        ({"optimizer": "sgd,adma"}, "optimizer value 2 of 2 must be one of"),
        ({"dropout": "0.2,0.3,0.4/0.2,1.5,0"}, "dropout value 2 of 2 entries must each be"),
        ({"dropout": "0.2,0.3,0.4/0.2,0.3"}, "dropout must have 3 values"),
        ({"seed": "1,2,1"}, "seed lists 1 twice"),
        ({"learning_rate": "0.1,1e-1"}, "learning_rate lists 1e-1 twice"),
        ({"learning_rat": "0.1"}, "did you mean 'learning_rate'"),
        ({"learning_rate": "-1"}, "learning_rate must be > 0 and <= 10 (got -1.0)"),
    ],
    ids=[
        "out-of-range",
        "empty",
        "not-an-int",
        "bad-choice",
        "bad-list-entry",
        "list-length",
        "duplicate",
        "duplicate-spelled-otherwise",
        "unknown-field",
        "single-as-before",
    ],
)
def test_a_bad_value_refuses_the_sweep_naming_the_field(
    tmp_path: Path, texts: dict[str, str], message: str
) -> None:
    texts = {"seed": "0,1", **texts} if "seed" not in texts else texts
    with pytest.raises(ConfigError) as caught:
        expand_sweep(tmp_path, preset("fast"), texts, "try")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_a_cross_field_rule_is_checked_for_every_combination() -> None:
    # lr_step_values must match lr_step_epochs in length: fine for [5], not for [5, 10].
    texts = {"lr_schedule": "step", "lr_step_epochs": "5/5,10", "lr_step_values": "0.01"}
    with pytest.raises(ConfigError) as caught:
        parse_sweep(preset("fast"), texts).runs("x")
    assert caught.value.field == "lr_step_values"
    assert "(run steps5_10)" in str(caught.value)


def test_too_many_runs_are_refused() -> None:
    seeds = ",".join(str(seed) for seed in range(MAX_RUNS + 1))
    with pytest.raises(ConfigError, match=f"{MAX_RUNS + 1} runs: seed x{MAX_RUNS + 1} is too"):
        parse_sweep(TrainConfig(), {"seed": seeds})


def test_names_take_the_users_prefix_and_refuse_a_taken_one(tmp_path: Path) -> None:
    runs = expand_sweep(tmp_path, preset("fast"), {"seed": "0,1"}, "fast")
    assert [name for name, _ in runs] == ["fast-seed0", "fast-seed1"]
    assert expand_sweep(tmp_path, preset("fast"), {"seed": "3"}, "fast")[0][0] == "fast"
    (tmp_path / "fast-seed1").mkdir()
    with pytest.raises(UserError, match="run fast-seed1 is already queued or exists"):
        expand_sweep(tmp_path, preset("fast"), {"seed": "0,1"}, "fast")
    with pytest.raises(UserError, match="run other-seed0 is already queued or exists"):
        expand_sweep(tmp_path, preset("fast"), {"seed": "0,1"}, "other", taken={"other-seed0"})
    with pytest.raises(UserError, match="run name 'a/b' is not a folder name"):
        expand_sweep(tmp_path, preset("fast"), {"seed": "0,1"}, "a/b")


def test_without_a_name_the_prefix_is_dated_and_avoids_taken_names(tmp_path: Path) -> None:
    now = datetime(2026, 12, 4, 23, 30)
    first = expand_sweep(tmp_path, preset("quick"), {"seed": "0,1"}, None, now=now)
    names = [name for name, _ in first]
    assert names == ["2026-12-04_2330_quick-seed0", "2026-12-04_2330_quick-seed1"]
    assert all(valid_run_name(name) for name in names)
    (tmp_path / names[1]).mkdir()  # the dated prefix is free, one of its runs is not
    again = expand_sweep(tmp_path, preset("quick"), {"seed": "0,1"}, None, now=now)
    assert [name for name, _ in again] == [
        "2026-12-04_2330_quick-2-seed0",
        "2026-12-04_2330_quick-2-seed1",
    ]
    queued = {"2026-12-04_2330_quick-2-seed0"}  # a queued run has no folder yet
    third = expand_sweep(tmp_path, preset("quick"), {"seed": "0,1"}, None, queued, now)
    assert third[0][0] == "2026-12-04_2330_quick-3-seed0"


def test_every_swept_name_is_a_valid_run_name(tmp_path: Path) -> None:
    texts = {
        "architecture": "recipe-cnn,airbench-small",
        "learning_rate": "1e-4,0.5",
        "dropout": "0,0,0/0.25,0.5,0.75",
        "horizontal_flip": "true,false",
        "mixed_precision": "off,bf16",
    }
    runs = expand_sweep(tmp_path, TrainConfig(), texts, "big")
    assert len(runs) == 32 and len({name for name, _ in runs}) == 32
    assert all(valid_run_name(name) for name, _ in runs)
    assert runs[0][0] == "big-recipe-cnn-lr0.0001-drop0_0_0-flip-mpoff"
