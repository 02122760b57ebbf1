"""One config value against its FieldSpec: type and range checks, their messages, typed text."""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any

from cifar_tui.core.errors import UserError


class ConfigError(UserError):
    """A bad config value, key, preset or file; `.field` names the field at fault (or None)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclasses.dataclass(frozen=True)
class FieldProblem:
    """One invalid field and a one-line message that names it and what is allowed."""

    field: str
    message: str


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """What the CLI and the UI form need to know about one TrainConfig field."""

    name: str
    type_name: str  # "int", "float", "bool", "str", "list[int]" or "list[float]"
    default: object
    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()  # empty: any value in range
    min_exclusive: bool = False
    max_exclusive: bool = False


_TYPE_WORDS = {
    "int": "an int",
    "float": "a float",
    "bool": "true or false",
    "str": "a string",
    "list[int]": "a list of ints like 75,100",
    "list[float]": "a list of floats like 0.2,0.3",
}


def _type_ok(type_name: str, value: object) -> bool:
    if type_name == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):  # bool is an int subclass, but `epochs = true` is a mistake
        return False
    if type_name.startswith("list["):
        element = type_name[5:-1]
        return isinstance(value, list) and all(_type_ok(element, item) for item in value)
    return isinstance(value, {"int": int, "float": int | float, "str": str}[type_name])


def type_problem(spec: FieldSpec, value: object) -> str | None:
    """A one-line message if `value` is not of the field's type; None if it is."""
    if _type_ok(spec.type_name, value):
        return None
    return f"{spec.name} must be {_TYPE_WORDS[spec.type_name]} (got {value!r})"


def coerce(spec: FieldSpec, value: Any) -> object:
    """Check one value's type and widen ints to floats (so TOML writes floats back)."""
    message = type_problem(spec, value)
    if message:
        raise ConfigError(message, spec.name)
    if spec.type_name == "float":
        return float(value)
    if spec.type_name == "list[float]":
        return [float(item) for item in value]
    return copy.copy(value)


def range_text(spec: FieldSpec) -> str:
    """The allowed values in words, e.g. '> 0 and <= 10' or 'one of sgd, adam'; '' if any."""
    if spec.choices:
        return "one of " + ", ".join(spec.choices)
    parts = []
    if spec.minimum is not None:
        parts.append(f"{'>' if spec.min_exclusive else '>='} {spec.minimum}")
    if spec.maximum is not None:
        parts.append(f"{'<' if spec.max_exclusive else '<='} {spec.maximum}")
    return " and ".join(parts)


def _in_range(spec: FieldSpec, value: float) -> bool:
    if math.isnan(value):  # NaN fails every comparison, so the checks below would let it pass
        return False
    low, high = spec.minimum, spec.maximum
    if low is not None and (value <= low if spec.min_exclusive else value < low):
        return False
    return high is None or not (value >= high if spec.max_exclusive else value > high)


def value_problem(spec: FieldSpec, value: Any) -> str | None:
    """A one-line message if one value breaks its type, choices or range; None if it is fine."""
    message = type_problem(spec, value)
    if message or not range_text(spec):
        return message
    items = value if isinstance(value, list) else [value]
    fine = value in spec.choices if spec.choices else all(_in_range(spec, v) for v in items)
    verb = "entries must each be" if isinstance(value, list) else "must be"
    return None if fine else f"{spec.name} {verb} {range_text(spec)} (got {value!r})"


def parse_value(spec: FieldSpec, text: str) -> object:
    """Parse what a user typed for one field and check it on its own (see parse_field_value)."""
    try:
        value = _parse_text(spec.type_name, text.strip())
    except ValueError:
        raise ConfigError(
            f"{spec.name} must be {_TYPE_WORDS[spec.type_name]} (got {text!r})", spec.name
        ) from None
    message = value_problem(spec, value)
    if message:
        raise ConfigError(message, spec.name)
    return value


def _parse_text(type_name: str, text: str) -> object:
    if type_name == "bool":
        words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if text.lower() not in words:
            raise ValueError(text)
        return words[text.lower()]
    if type_name == "str":
        return text
    if not type_name.startswith("list["):
        return int(text) if type_name == "int" else float(text)
    if text.startswith("[") and text.endswith("]"):  # also accept a list as Python prints it
        text = text[1:-1].strip()
    return [_parse_text(type_name[5:-1], item.strip()) for item in text.split(",")] if text else []
