"""TrainConfig validation, presets, TOML files, field parsing and CLI flags, table-driven."""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from pathlib import Path

import pytest

from cifar_tui.commands.flags import add_config_arguments, config_overrides
from cifar_tui.core.config import TrainConfig, config_fields, parse_field_value
from cifar_tui.core.config_files import load_config, save_config
from cifar_tui.core.config_values import ConfigError, FieldProblem
from cifar_tui.core.errors import UserError
from cifar_tui.core.presets import PRESETS, config_from_dict, preset

# (field, bad value, the exact problem message), one or more per field that has a range or choices.
OUT_OF_RANGE = [
    ("architecture", "resnet",
     "architecture must be one of recipe-cnn, airbench, airbench-small (got 'resnet')"),
    ("epochs", 0, "epochs must be >= 1 and <= 10000 (got 0)"),
    ("epochs", 10_001, "epochs must be >= 1 and <= 10000 (got 10001)"),
    ("batch_size", 0, "batch_size must be >= 1 and <= 65536 (got 0)"),
    ("batch_size", 65_537, "batch_size must be >= 1 and <= 65536 (got 65537)"),
    ("train_size", -1, "train_size must be >= 0 and <= 50000 (got -1)"),
    ("train_size", 50_001, "train_size must be >= 0 and <= 50000 (got 50001)"),
    ("validation_split", 0.6, "validation_split must be >= 0 and <= 0.5 (got 0.6)"),
    ("optimizer", "nadam",
     "optimizer must be one of rmsprop, rmsprop-keras2, sgd, adam, adamw (got 'nadam')"),
    ("learning_rate", -1.0, "learning_rate must be > 0 and <= 10 (got -1.0)"),
    ("learning_rate", 0.0, "learning_rate must be > 0 and <= 10 (got 0.0)"),
    ("learning_rate", 10.5, "learning_rate must be > 0 and <= 10 (got 10.5)"),
    ("learning_rate", math.nan, "learning_rate must be > 0 and <= 10 (got nan)"),
    ("momentum", 1.0, "momentum must be >= 0 and < 1 (got 1.0)"),
    ("momentum", -0.1, "momentum must be >= 0 and < 1 (got -0.1)"),
    ("lr_time_decay", 1.5, "lr_time_decay must be >= 0 and <= 1 (got 1.5)"),
    ("lr_schedule", "linear",
     "lr_schedule must be one of constant, step, onecycle, cosine (got 'linear')"),
    ("lr_step_epochs", [0, 100],
     "lr_step_epochs entries must each be >= 1 and <= 10000 (got [0, 100])"),
    ("lr_step_epochs", [75, 10001],
     "lr_step_epochs entries must each be >= 1 and <= 10000 (got [75, 10001])"),
    ("lr_step_epochs", [100, 75], "lr_step_epochs must be strictly increasing (got [100, 75])"),
    ("lr_step_epochs", [75, 75], "lr_step_epochs must be strictly increasing (got [75, 75])"),
    ("lr_step_values", [0.0005, 0.0],
     "lr_step_values entries must each be > 0 and <= 10 (got [0.0005, 0.0])"),
    ("lr_step_values", [0.0005],
     "lr_step_values must have one value per lr_step_epochs entry (2) (got [0.0005])"),
    ("warmup_epochs", -1.0, "warmup_epochs must be >= 0 and <= 10000 (got -1.0)"),
    ("warmup_epochs", 10000.5, "warmup_epochs must be >= 0 and <= 10000 (got 10000.5)"),
    ("weight_decay", 1.0, "weight_decay must be >= 0 and < 1 (got 1.0)"),
    ("dropout", [0.2, 1.0, 0.4], "dropout entries must each be >= 0 and < 1 (got [0.2, 1.0, 0.4])"),
    ("dropout", [0.2, 0.3], "dropout must have 3 values, one per conv block (got [0.2, 0.3])"),
    ("label_smoothing", 1.0, "label_smoothing must be >= 0 and < 1 (got 1.0)"),
    ("batch_norm_momentum", 1.0, "batch_norm_momentum must be >= 0 and < 1 (got 1.0)"),
    ("rotation_degrees", 181.0, "rotation_degrees must be >= 0 and <= 180 (got 181.0)"),
    ("rotation_degrees", math.inf, "rotation_degrees must be >= 0 and <= 180 (got inf)"),
    ("shift_fraction", 0.75, "shift_fraction must be >= 0 and <= 0.5 (got 0.75)"),
    ("crop_padding", 9, "crop_padding must be >= 0 and <= 8 (got 9)"),
    ("cutout", 33, "cutout must be >= 0 and <= 32 (got 33)"),
    ("bias_lr_scale", 0.0, "bias_lr_scale must be > 0 and <= 1000 (got 0.0)"),
    ("bias_lr_scale", 1001.0, "bias_lr_scale must be > 0 and <= 1000 (got 1001.0)"),
    ("jpeg_augment", 1.5, "jpeg_augment must be >= 0 and <= 1 (got 1.5)"),
    ("jpeg_min_quality", 0, "jpeg_min_quality must be >= 1 and <= 95 (got 0)"),
    ("jpeg_min_quality", 96, "jpeg_min_quality must be >= 1 and <= 95 (got 96)"),
    ("tta", "five-crop", "tta must be one of off, flip, flip-translate (got 'five-crop')"),
    ("seed", -1, "seed must be >= 0 and <= 2147483647 (got -1)"),
    ("seed", 2**31, "seed must be >= 0 and <= 2147483647 (got 2147483648)"),
    ("mixed_precision", "int8",
     "mixed_precision must be one of auto, off, bf16, fp16 (got 'int8')"),
    ("steps_per_execution", -1, "steps_per_execution must be >= 0 and <= 1000 (got -1)"),
    ("augment_on", "gpu", "augment_on must be one of auto, cpu, device (got 'gpu')"),
    ("strategy", "tpu", "strategy must be one of one-device, mirrored, multi-worker (got 'tpu')"),
]  # fmt: skip

# Values of the wrong type for each type of field; bools are not ints, strings are not numbers.
WRONG_VALUES: dict[str, list[object]] = {
    "int": ["3", 2.5, True],
    "float": ["0.1", False, None],
    "bool": [1, "yes"],
    "str": [3, ["sgd"]],
    "list[int]": ["75,100", [75.5], [True]],
    "list[float]": [0.2, ["0.2"], [False]],
}
EXPECTED_TYPE = {
    "int": "an int",
    "float": "a float",
    "bool": "true or false",
    "str": "a string",
    "list[int]": "a list of ints",
    "list[float]": "a list of floats",
}
WRONG_TYPE = [
    pytest.param(spec.name, spec.type_name, value, id=f"{spec.name}-{value!r}")
    for spec in config_fields()
    for value in WRONG_VALUES[spec.type_name]
    if not (spec.name == "devices" and value == 3)  # TOML's `devices = 3` is GPU 3 (devices tests)
]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [pytest.param(*case, id=f"{case[0]}-{case[1]!r}") for case in OUT_OF_RANGE],
)
def test_out_of_range_value_is_the_only_problem(field: str, value: object, message: str) -> None:
    # Two steps (the article's schedule), so the step-list rules have pairs to check.
    base = TrainConfig(lr_step_epochs=[75, 100], lr_step_values=[0.0005, 0.0003])
    config = base.replace(**{field: value})
    assert config.problems() == [FieldProblem(field, message)]
    with pytest.raises(ConfigError) as raised:
        config.validate()
    assert (str(raised.value), raised.value.field) == (message, field)


def test_every_bounded_field_has_an_out_of_range_case() -> None:
    bounded = {s.name for s in config_fields() if s.minimum is not None or s.choices}
    assert bounded == {field for field, _, _ in OUT_OF_RANGE}


@pytest.mark.parametrize(("field", "type_name", "value"), WRONG_TYPE)
def test_wrong_type_is_rejected(field: str, type_name: str, value: object) -> None:
    expected = f"{field} must be {EXPECTED_TYPE[type_name]}"
    with pytest.raises(ConfigError) as raised:
        config_from_dict({field: value})
    assert raised.value.field == field
    assert str(raised.value).startswith(expected) and repr(value) in str(raised.value)
    problems = TrainConfig().replace(**{field: value}).problems()
    assert [p.field for p in problems] == [field] and problems[0].message.startswith(expected)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        pytest.param({"epochs": 0, "optimizer": "x"}, ["epochs", "optimizer"], id="all-reported"),
        # A bad epochs must not also blame the fields checked against it.
        pytest.param({"epochs": 0, "warmup_epochs": 5.0}, ["epochs"], id="bad-epochs-only"),
        pytest.param({"epochs": "9"}, ["epochs"], id="bad-epochs-type-only"),
        # The step lists only matter to the step schedule ...
        pytest.param({"lr_schedule": "cosine", "lr_step_epochs": [500]}, [], id="steps-ignored"),
        # ... but their type always does.
        pytest.param({"lr_schedule": "cosine", "lr_step_epochs": ["a"]}, ["lr_step_epochs"],
                     id="steps-type-checked"),
        pytest.param({"lr_step_epochs": [], "lr_step_values": []}, [], id="no-steps"),
        pytest.param({"warmup_epochs": 125}, [], id="warmup-equals-epochs"),
    ],
)  # fmt: skip
def test_problems_combine(changes: dict[str, object], fields: list[str]) -> None:
    problems = TrainConfig().replace(**changes).problems()
    assert [problem.field for problem in problems] == fields
    assert all("\n" not in p.message and p.message.startswith(p.field) for p in problems)


def test_defaults_are_the_recipe() -> None:
    config = TrainConfig()
    # Keras 2's RMSprop and the published code's schedule: 5e-4 from 0-based epoch 76 on.
    expected = {"architecture": "recipe-cnn", "epochs": 125, "batch_size": 64,
                "optimizer": "rmsprop-keras2", "learning_rate": 0.001, "lr_time_decay": 1e-6,
                "lr_schedule": "step", "lr_step_epochs": [75],
                "lr_step_values": [0.0005], "weight_decay": 1e-4,
                "dropout": [0.2, 0.3, 0.4], "rotation_degrees": 15.0, "shift_fraction": 0.1,
                "horizontal_flip": True, "validation_split": 0.0, "train_size": 0}  # fmt: skip
    assert {name: getattr(config, name) for name in expected} == expected
    assert config == PRESETS["recipe-2018"] and config.validate() is config


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_is_valid_and_named(name: str) -> None:
    config = preset(name)
    assert config.problems() == []
    assert config.preset == name


def test_preset_returns_a_fresh_copy() -> None:
    config = preset("recipe-2018")
    config.dropout.append(0.5)
    config.epochs = 1
    assert PRESETS["recipe-2018"].dropout == [0.2, 0.3, 0.4]
    assert preset("recipe-2018").epochs == 125


def test_quick_is_the_recipe_shortened() -> None:
    changed = {k for k, v in preset("quick").to_dict().items() if v != getattr(TrainConfig(), k)}
    assert changed == {"preset", "epochs", "train_size", "lr_step_epochs", "lr_step_values"}
    assert (preset("quick").epochs, preset("quick").train_size) == (3, 5000)


# What recipe-tuned may change: the training, never the seed's network (issue 16).
TRAINING_FIELDS = {
    "preset", "epochs", "batch_size", "optimizer", "learning_rate", "momentum", "nesterov",
    "lr_time_decay", "lr_schedule", "lr_step_epochs", "lr_step_values", "warmup_epochs",
    "weight_decay", "label_smoothing", "rotation_degrees", "shift_fraction", "horizontal_flip",
    "crop_padding", "cutout",
}  # fmt: skip


def test_recipe_tuned_changes_only_the_training_of_the_seed_network() -> None:
    tuned, seed = preset("recipe-tuned"), TrainConfig()
    changed = {k for k, v in tuned.to_dict().items() if v != getattr(seed, k)}
    assert changed <= TRAINING_FIELDS and "architecture" not in changed
    assert (tuned.dropout, tuned.batch_norm_momentum) == (seed.dropout, seed.batch_norm_momentum)
    assert tuned.epochs <= 125 and tuned.tta == "off"


def test_unknown_preset_lists_known_ones() -> None:
    with pytest.raises(ConfigError) as raised:
        preset("fsat")
    known = "airbench94, fast, quick, recipe-2018, recipe-tuned"
    assert str(raised.value) == f"unknown preset 'fsat' (known: {known})"
    assert raised.value.field == "preset" and isinstance(raised.value, UserError)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("learning_rat", "unknown config key 'learning_rat' (did you mean 'learning_rate'?)"),
        ("epoch", "unknown config key 'epoch' (did you mean 'epochs'?)"),
        ("horizontalflip", "unknown config key 'horizontalflip' (did you mean 'horizontal_flip'?)"),
        ("zzz", "unknown config key 'zzz'"),
    ],
)
def test_unknown_key_suggests_closest(key: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        config_from_dict({key: 1})
    assert (str(raised.value), raised.value.field) == (message, key)
    with pytest.raises(ConfigError, match="unknown config key"):
        TrainConfig().replace(**{key: 1})


@pytest.mark.parametrize(
    ("data", "base", "expected"),
    [
        pytest.param({"epochs": 5}, None, {"epochs": 5, "architecture": "recipe-cnn"}, id="recipe"),
        pytest.param({"preset": "fast", "epochs": 5}, None,
                     {"epochs": 5, "architecture": "airbench-small", "preset": "fast"}, id="named"),
        pytest.param({"epochs": 5}, "quick", {"epochs": 5, "train_size": 5000}, id="base"),
        pytest.param({"learning_rate": 1, "lr_step_values": [1, 2]}, None,
                     {"learning_rate": 1.0, "lr_step_values": [1.0, 2.0]}, id="ints-as-floats"),
    ],
)  # fmt: skip
def test_from_dict_fills_missing_keys(
    data: dict[str, object], base: str | None, expected: dict[str, object]
) -> None:
    config = TrainConfig.from_dict(data, base=preset(base)) if base else config_from_dict(data)
    assert {name: getattr(config, name) for name in expected} == expected
    assert type(config.learning_rate) is float and all(
        type(v) is float for v in config.lr_step_values
    )


def test_from_dict_with_unknown_preset_names_it() -> None:
    with pytest.raises(ConfigError, match="unknown preset 'mine'") as raised:
        config_from_dict({"preset": "mine"})
    assert raised.value.field == "preset"


def test_replace_does_not_share_lists() -> None:
    original = TrainConfig()
    changed = original.replace(epochs=10)
    changed.dropout[0] = 0.9
    assert (original.dropout[0], changed.epochs, original.epochs) == (0.2, 10, 125)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_toml_round_trip(name: str, tmp_path: Path) -> None:
    config, path = preset(name), tmp_path / "run.toml"
    save_config(config, path)
    assert load_config(path) == config
    assert config_from_dict(config.to_dict()) == config
    assert path.read_text().startswith("# cifar-tui training config")


def test_save_leaves_no_temp_file(tmp_path: Path) -> None:
    save_config(preset("fast"), tmp_path / "run.toml")
    save_config(preset("quick"), tmp_path / "run.toml")  # overwrite in place
    assert [p.name for p in tmp_path.iterdir()] == ["run.toml"]
    assert load_config(tmp_path / "run.toml").preset == "quick"


def test_save_syncs_before_it_renames(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("fsync")
        real_fsync(fd)

    def replace(source: str, target: Path) -> None:
        calls.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    save_config(TrainConfig(), tmp_path / "run.toml")
    assert calls == ["fsync", "replace", "fsync"]  # the file, the rename, then the folder


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_save_keeps_previous_file(
    failing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "run.toml"
    save_config(preset("quick"), path)
    before = path.read_bytes()

    def fail(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(ConfigError, match="cannot write config file .*run.toml"):
        save_config(preset("fast"), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.toml"]


@pytest.mark.parametrize(
    ("config", "where"),
    [
        pytest.param(TrainConfig(epochs=0), "run.toml", id="invalid-config"),
        pytest.param(TrainConfig(), "missing/run.toml", id="missing-folder"),
    ],
)
def test_save_refuses_without_writing(config: TrainConfig, where: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        save_config(config, tmp_path / where)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "fragments", "field"),
    [
        pytest.param(None, ["not found"], None, id="missing"),
        pytest.param("epochs = = 3", ["not valid TOML", "line 1"], None, id="garbage"),
        pytest.param("epochs = 3\nseed = 1\nbatch_size = ?", ["not valid TOML", "line 3"], None,
                     id="garbage-line-3"),
        pytest.param(b"epochs = 3 # \xff\n", ["cannot read"], None, id="not-utf8"),
        pytest.param('epochs = "many"', ["epochs must be an int (got 'many')"], "epochs",
                     id="wrong-type"),
        pytest.param("[optimizer]\nname = 'sgd'", ["optimizer must be a string"], "optimizer",
                     id="table-for-string"),
        pytest.param("epochs = 0", ["epochs must be >= 1 and <= 10000 (got 0)"], "epochs",
                     id="out-of-range"),
        pytest.param("learning_rat = 0.1", ["did you mean 'learning_rate'?"], "learning_rat",
                     id="unknown-key"),
    ],
)  # fmt: skip
def test_load_errors_are_one_line_naming_the_file(
    content: str | bytes | None, fragments: list[str], field: str | None, tmp_path: Path
) -> None:
    path = tmp_path / "run.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert str(path) in message and "\n" not in message
    assert all(fragment in message for fragment in fragments), message
    assert raised.value.field == field


def test_load_takes_missing_keys_from_named_preset(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('preset = "fast"\nepochs = 20\n')
    assert load_config(path) == preset("fast").replace(epochs=20)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("learning_rate", "0.001", 0.001),
        ("learning_rate", " 1e-3 ", 0.001),
        ("epochs", "12", 12),
        ("horizontal_flip", "true", True),
        ("horizontal_flip", "YES", True),
        ("horizontal_flip", "1", True),
        ("horizontal_flip", "false", False),
        ("horizontal_flip", "no", False),
        ("horizontal_flip", "0", False),
        ("lr_step_epochs", "75,100", [75, 100]),
        ("lr_step_epochs", " 75 , 100 ", [75, 100]),
        ("lr_step_epochs", "[75, 100]", [75, 100]),
        ("lr_step_epochs", "", []),
        ("lr_step_values", "0.0005,0.0003", [0.0005, 0.0003]),
        ("dropout", "0,0,0", [0.0, 0.0, 0.0]),
        ("optimizer", "sgd", "sgd"),
        ("preset", "anything", "anything"),
    ],
)
def test_parse_field_value(name: str, text: str, expected: object) -> None:
    value = parse_field_value(name, text)
    assert value == expected and type(value) is type(expected)
    if isinstance(value, list) and value:
        assert type(value[0]) is type(expected[0])  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("epochs", "abc", "epochs must be an int (got 'abc')"),
        ("epochs", "2.5", "epochs must be an int (got '2.5')"),
        ("epochs", "0", "epochs must be >= 1 and <= 10000 (got 0)"),
        ("learning_rate", "fast", "learning_rate must be a float (got 'fast')"),
        ("learning_rate", "-1", "learning_rate must be > 0 and <= 10 (got -1.0)"),
        ("horizontal_flip", "maybe", "horizontal_flip must be true or false (got 'maybe')"),
        ("lr_step_epochs", "75,x",
         "lr_step_epochs must be a list of ints like 75,100 (got '75,x')"),
        ("lr_step_epochs", "75,,100",
         "lr_step_epochs must be a list of ints like 75,100 (got '75,,100')"),
        ("dropout", "0.2,1.5,0", "dropout entries must each be >= 0 and < 1 (got [0.2, 1.5, 0.0])"),
        ("optimizer", "nadam",
         "optimizer must be one of rmsprop, rmsprop-keras2, sgd, adam, adamw (got 'nadam')"),
    ],
)  # fmt: skip
def test_parse_field_value_rejects(name: str, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_field_value(name, text)
    assert (str(raised.value), raised.value.field) == (message, name)


def test_parse_field_value_unknown_field() -> None:
    with pytest.raises(ConfigError, match="did you mean 'epochs'"):
        parse_field_value("epoch", "3")


def test_config_fields_describe_the_dataclass() -> None:
    specs = {spec.name: spec for spec in config_fields()}
    assert list(specs) == [f.name for f in dataclasses.fields(TrainConfig)]
    assert {spec.type_name for spec in specs.values()} == set(EXPECTED_TYPE)
    assert all(spec.default == getattr(TrainConfig(), name) for name, spec in specs.items())
    rate = specs["learning_rate"]
    assert (rate.type_name, rate.minimum, rate.maximum) == ("float", 0, 10)
    assert (rate.min_exclusive, rate.max_exclusive, rate.choices) == (True, False, ())
    assert specs["optimizer"].choices == ("rmsprop", "rmsprop-keras2", "sgd", "adam", "adamw")
    assert specs["lr_step_epochs"].type_name == "list[int]" and specs["nesterov"].help


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cifar-tui")
    add_config_arguments(parser)
    return parser


@pytest.mark.parametrize(
    ("argv", "overrides"),
    [
        pytest.param(["--learning-rate", "0.01", "--no-horizontal-flip",
                      "--lr-step-epochs", "10,20"],
                     {"learning_rate": 0.01, "horizontal_flip": False, "lr_step_epochs": [10, 20]},
                     id="brief-example"),
        pytest.param([], {}, id="nothing-given"),
        pytest.param(["--nesterov", "--optimizer", "sgd", "--lr-step-values", ""],
                     {"nesterov": True, "optimizer": "sgd", "lr_step_values": []}, id="mixed"),
    ],
)  # fmt: skip
def test_flags_become_overrides(argv: list[str], overrides: dict[str, object]) -> None:
    assert config_overrides(_parser().parse_args(argv)) == overrides


def test_overrides_apply_on_a_preset() -> None:
    namespace = _parser().parse_args(["--epochs", "4", "--cutout", "8"])
    config = TrainConfig.from_dict(config_overrides(namespace), base=preset("fast")).validate()
    assert (config.epochs, config.cutout, config.architecture) == (4, 8, "airbench-small")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--learning-rate", "-1"],
         "argument --learning-rate: learning_rate must be > 0 and <= 10 (got -1.0)"),
        (["--epochs", "many"], "argument --epochs: epochs must be an int (got 'many')"),
        (["--optimizer", "nadam"], "argument --optimizer: optimizer must be one of"),
        (["--preset", "fast"], "unrecognized arguments: --preset fast"),
    ],
)  # fmt: skip
def test_bad_flag_exits_2_with_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        _parser().parse_args(argv)
    assert raised.value.code == 2
    assert message in capsys.readouterr().err


def test_help_shows_range_and_default() -> None:
    text = " ".join(_parser().format_help().split())
    assert "--learning-rate FLOAT initial learning rate [> 0 and <= 10; default: 0.001]" in text
    assert "--horizontal-flip, --no-horizontal-flip" in text
    assert "default: 75]" in text
    flags = {"--" + spec.name.replace("_", "-") for spec in config_fields()} - {"--preset"}
    assert all(flag in text for flag in flags)


@pytest.mark.parametrize("name", ["recipe-2018", "fast"])
def test_a_short_trial_of_any_preset_is_valid(name: str) -> None:
    """`--preset X --epochs 2` must work: later step boundaries and warm-up are never reached."""
    assert preset(name).replace(epochs=2).problems() == []
