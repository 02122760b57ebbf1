"""The `devices` setting: its grammar in the flags, TOML and form, and its rule with strategy."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cifar_tui.commands.flags import add_config_arguments, config_overrides
from cifar_tui.core.config import TrainConfig, parse_field_value
from cifar_tui.core.config_files import load_config, save_config
from cifar_tui.core.config_values import ConfigError, FieldProblem
from cifar_tui.core.devices import devices_text, parse_devices
from cifar_tui.core.presets import config_from_dict

FORMS = "devices must be auto, cpu, or GPU indices like 0 or 1,3"


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("auto", "auto"), ("cpu", "cpu"), ("0", (0,)), ("1,3", (1, 3)), ("3,1", (3, 1)),
     (" 1 , 3 ", (1, 3)), ("12", (12,))],
)  # fmt: skip
def test_good_values(text: str, parsed: object) -> None:
    assert parse_devices(text) == parsed
    assert parse_field_value("devices", text) == text.strip()


@pytest.mark.parametrize(
    ("text", "why"),
    [("-1", ""), ("a", ""), ("1,,2", ""), ("1,1", "; GPU 1 given twice"), ("cpu,0", ""),
     ("", ""), ("auto,1", ""), ("1.5", ""), ("GPU0", ""), ("²", ""), ("CPU", "")],
)  # fmt: skip
def test_bad_values_are_one_line_naming_the_forms(text: str, why: str) -> None:
    message = f"{FORMS} (got {text.strip()!r}{why})"
    with pytest.raises(ConfigError) as raised:
        parse_field_value("devices", text)
    assert (str(raised.value), raised.value.field) == (message, "devices")
    assert TrainConfig(devices=text).problems() == [FieldProblem("devices", message)]


def _flags(*argv: str) -> dict[str, object]:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_config_arguments(parser)
    return config_overrides(parser.parse_args(argv))


def test_the_flag() -> None:
    assert _flags("--devices", "1,3") == {"devices": "1,3"}
    assert _flags() == {}  # the default comes from the preset: auto
    assert TrainConfig().devices == "auto"
    with pytest.raises(argparse.ArgumentError, match="devices must be auto, cpu, or GPU"):
        _flags("--devices", "1,1")


@pytest.mark.parametrize(
    ("toml", "value"),
    [('"1,3"', "1,3"), ("2", "2"), ("[0, 2]", "0,2"), ('"cpu"', "cpu")],
)
def test_toml_forms(tmp_path: Path, toml: str, value: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'preset = "quick"\nstrategy = "mirrored"\ndevices = {toml}\n')
    config = load_config(path)
    assert config.devices == value
    save_config(config, tmp_path / "again.toml")  # written back as text, read back the same
    assert load_config(tmp_path / "again.toml").devices == value


@pytest.mark.parametrize("toml", ["-1", "true", "[1, 1]", '"a"', "1.5", '["1"]'])
def test_bad_toml_values_name_the_field(tmp_path: Path, toml: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(f'preset = "quick"\ndevices = {toml}\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert raised.value.field == "devices" and "devices" in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("devices", "strategy", "problem"),
    [("0", "one-device", False), ("1,3", "mirrored", False), ("cpu", "mirrored", False),
     ("auto", "mirrored", False), ("1,3", "one-device", True), ("0,1,2,3", "multi-worker", False)],
)  # fmt: skip
def test_several_gpus_need_a_strategy_with_replicas(
    devices: str, strategy: str, problem: bool
) -> None:
    # One-device trains on one GPU: a second index would sit idle while the user thinks it is
    # used, so it is refused, not silently dropped.
    problems = TrainConfig(devices=devices, strategy=strategy).problems()
    expected = (
        [FieldProblem("devices", f"devices {devices} names 2 GPUs but strategy one-device trains "
                      "on one: give one index, or strategy mirrored for one replica per GPU")]
        if problem else []
    )  # fmt: skip
    assert problems == expected


def test_from_dict_keeps_other_keys_as_given() -> None:
    config = config_from_dict({"preset": "quick", "devices": 1})
    assert (config.devices, config.preset) == ("1", "quick")


@pytest.mark.parametrize(("indices", "text"), [([], "cpu"), ([0], "0"), ([1, 3], "1,3")])
def test_devices_text(indices: list[int], text: str) -> None:
    assert devices_text(indices) == text


def test_a_resume_may_change_the_devices_only_with_epochs(tmp_path: Path) -> None:
    from cifar_tui.cli import build_parser
    from cifar_tui.commands.train import _resumed_config
    from cifar_tui.core.errors import UserError

    path = tmp_path / "config.toml"
    save_config(TrainConfig(devices="1"), path)
    args = build_parser().parse_args(["train", "--resume", "r", "--devices", "cpu"])
    assert _resumed_config(args, path).devices == "cpu"
    args = build_parser().parse_args(["train", "--resume", "r", "--devices", "0", "--seed", "2"])
    with pytest.raises(UserError, match="only --epochs and --devices can change .got --seed."):
        _resumed_config(args, path)
