"""The config flags of `cifar-tui train`, one per TrainConfig field, built from config_fields()."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from cifar_tui.core.config import config_fields, parse_field_value
from cifar_tui.core.config_values import ConfigError, range_text


def _argument_type(name: str) -> Callable[[str], object]:
    def parse(text: str) -> object:
        try:
            return parse_field_value(name, text)
        except ConfigError as error:  # argparse prints it as "argument --flag: <message>"
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = name
    return parse


def _typed(value: object) -> str:
    """A value as the user would type it (what parse_field_value reads back)."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value) or '""'
    return str(value).lower() if isinstance(value, bool) else str(value)


def add_config_arguments(parser: argparse.ArgumentParser, sweeps: bool = False) -> None:
    """Add one --kebab-case option per field but `preset`; only flags given reach the Namespace.

    With `sweeps` (`queue add`) each flag keeps its text, which may hold several values
    (core/sweeps.py parses and checks it), and a bool flag takes one too: `--nesterov true,false`.
    """
    for spec in config_fields():
        if spec.name == "preset":  # the CLI owns --preset: it picks the base, not a value
            continue
        allowed = range_text(spec)
        if spec.type_name.startswith("list["):
            allowed = "comma-separated, each " + allowed
        hint = f"default: {_typed(spec.default)}"
        hint = f"{allowed}; {hint}" if allowed else hint
        flag = "--" + spec.name.replace("_", "-")
        options: dict[str, Any] = {"action": argparse.BooleanOptionalAction}
        if sweeps and spec.type_name == "bool":
            options = {"nargs": "?", "const": "true", "metavar": "true,false"}
            parser.add_argument(
                "--no-" + flag[2:], dest=spec.name, action="store_const", const="false",
                default=argparse.SUPPRESS, help=argparse.SUPPRESS,
            )  # fmt: skip
        elif spec.type_name != "bool":
            metavar = spec.type_name.replace("list[", "").replace("]", "s").upper()
            options = {"type": str if sweeps else _argument_type(spec.name), "metavar": metavar}
            if spec.choices:
                options["metavar"] = "{" + ",".join(spec.choices) + "}"
        parser.add_argument(
            flag,
            dest=spec.name,
            default=argparse.SUPPRESS,
            help=f"{spec.help} [{hint}]".replace("%", "%%"),
            **options,
        )


def config_overrides(namespace: argparse.Namespace) -> dict[str, Any]:
    """The config flags actually given, as {field: value}, ready for TrainConfig.from_dict."""
    given = vars(namespace)
    return {
        spec.name: given[spec.name]
        for spec in config_fields()
        if spec.name != "preset" and spec.name in given
    }
