"""TrainConfig: every knob of a training run, with validation, TOML files, presets and CLI flags."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import difflib
import math
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import tomli_w

from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.atomic import atomic_write_text

DEFAULT_PRESET = "recipe-2018"


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


def _knob(default: object, help: str, allowed: str = "") -> Any:
    """A dataclass field; `allowed` is an interval like "(0, 10]" or choices like "sgd|adam"."""
    meta: dict[str, object] = {"help": help}
    if "|" in allowed:
        meta["choices"] = tuple(allowed.split("|"))
    elif allowed:
        low, high = (float(bound) for bound in allowed[1:-1].split(","))
        # Whole bounds stay ints so messages read "<= 10", not "<= 10.0".
        meta.update(min=int(low) if low.is_integer() else low)
        meta.update(max=int(high) if high.is_integer() else high)
        meta.update(min_exclusive=allowed[0] == "(", max_exclusive=allowed[-1] == ")")
    if isinstance(default, list):  # each config gets its own list
        return dataclasses.field(default_factory=lambda: list(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclasses.dataclass
class TrainConfig:
    """Every knob of one training run; the defaults are the 2018 recipe (RECIPE.md)."""

    preset: str = _knob(DEFAULT_PRESET, "preset this config started from")
    """Preset this config started from (informational); it fills keys a TOML file leaves out."""
    architecture: str = _knob("recipe-cnn", "model", "recipe-cnn|airbench|airbench-small")
    """Model: the recipe's 6-conv ELU/BN CNN (~309k parameters), an airbench94-style net
    (widths 64/256/256, 118 M multiply-adds per image) or its narrower sibling (64/128/128)."""
    epochs: int = _knob(125, "passes over the training set", "[1, 10000]")
    """Passes over the training set; the recipe's 125 reach about 90% test accuracy."""
    batch_size: int = _knob(64, "global batch size", "[1, 65536]")
    """Global batch size in images; a multi-device strategy splits it across replicas."""
    train_size: int = _knob(0, "training images used (0 = all)", "[0, 50000]")
    """Training images used: 0 = all 50,000, N = a fixed subset for quick trials."""
    validation_split: float = _knob(0.0, "training fraction held out (0 = test set)", "[0, 0.5]")
    """0 validates on the test set as the recipe does; >0 holds out that fraction of training."""
    optimizer: str = _knob("rmsprop", "optimizer", "rmsprop|sgd|adam|adamw")
    """Optimizer; the recipe uses RMSprop."""
    learning_rate: float = _knob(0.001, "initial learning rate", "(0, 10]")
    """Initial learning rate (the peak rate for onecycle/cosine)."""
    momentum: float = _knob(0.0, "sgd/rmsprop momentum", "[0, 1)")
    """Momentum for sgd and rmsprop; adam/adamw ignore it (they have their own betas)."""
    nesterov: bool = _knob(False, "Nesterov momentum (sgd)")
    """Nesterov momentum; only sgd uses it."""
    lr_time_decay: float = _knob(1e-6, "Keras-2 time-based decay per step", "[0, 1]")
    """Keras 2's `decay=`: lr / (1 + d * step); 1e-6 is about -9% over the recipe's 125 epochs."""
    lr_schedule: str = _knob("step", "learning-rate schedule", "constant|step|onecycle|cosine")
    """Schedule over epochs, applied on top of lr_time_decay."""
    lr_step_epochs: list[int] = _knob(
        [75, 100], "epochs after which step rates apply", "[1, 10000]"
    )
    """Epochs after which the step schedule switches rate; strictly increasing."""
    lr_step_values: list[float] = _knob([0.0005, 0.0003], "step-schedule rates", "(0, 10]")
    """The rate after each of lr_step_epochs (same length)."""
    warmup_epochs: float = _knob(0.0, "linear warm-up epochs (onecycle/cosine)", "[0, 10000]")
    """Linear warm-up for onecycle/cosine, in epochs (fractions allowed; capped at epochs)."""
    weight_decay: float = _knob(1e-4, "L2 weight decay on kernels", "[0, 1)")
    """L2 factor on conv and dense kernels (a loss term, as in the recipe)."""
    dropout: list[float] = _knob([0.2, 0.3, 0.4], "dropout per conv block (3 rates)", "[0, 1)")
    """Dropout after each of the three conv blocks' pooling."""
    label_smoothing: float = _knob(0.0, "label smoothing", "[0, 1)")
    """Label smoothing of the one-hot targets."""
    batch_norm_momentum: float = _knob(0.99, "BatchNorm moving-average momentum", "[0, 1)")
    """Keras convention: the fraction of the moving statistics kept at each step."""
    rotation_degrees: float = _knob(15.0, "random rotation up to +/- degrees", "[0, 180]")
    """Random rotation range in degrees, either way."""
    shift_fraction: float = _knob(0.1, "random width/height shift (fraction)", "[0, 0.5]")
    """Random width and height shift, as a fraction of the image side."""
    horizontal_flip: bool = _knob(True, "random horizontal flip")
    """Flip half the training images left-right."""
    crop_padding: int = _knob(0, "pad-and-random-crop pixels", "[0, 8]")
    """Pad-and-random-crop translation in pixels, with reflect padding; 0 = off."""
    cutout: int = _knob(0, "side of a random zeroed square (0 = off)", "[0, 32]")
    """Side in pixels of a square zeroed at a random place in each image; 0 = off."""
    seed: int = _knob(0, "random seed", "[0, 2147483647]")
    """Seed for weights, shuffling, augmentation and the subset/hold-out draw."""
    mixed_precision: str = _knob("auto", "mixed precision", "auto|off|bf16|fp16")
    """auto = bf16 on CPUs with AMX/AVX512-BF16, fp16 on GPUs, else off."""
    jit_compile: bool = _knob(False, "XLA-compile the train step")
    """Compile the train step with XLA."""
    steps_per_execution: int = _knob(1, "train steps per graph call", "[1, 1000]")
    """Batches per graph call; >1 cuts Python overhead but coarsens progress events."""
    strategy: str = _knob("one-device", "distribution", "one-device|mirrored|multi-worker")
    """How training spreads over devices and hosts."""

    def problems(self) -> list[FieldProblem]:
        """Every invalid field (not just the first), for the UI's inline validation."""
        found = []
        for spec in config_fields():
            value = getattr(self, spec.name)
            # The step lists only matter to the step schedule; elsewhere only their type does.
            if spec.name in ("lr_step_epochs", "lr_step_values") and self.lr_schedule != "step":
                message = _type_problem(spec, value)
            else:
                message = _value_problem(spec, value)
            if message:
                found.append(FieldProblem(spec.name, message))
        return found + list(self._cross_field_problems({problem.field for problem in found}))

    def _cross_field_problems(self, bad: set[str]) -> Iterator[FieldProblem]:
        """Rules tying one field to another, skipped where a field involved is already bad."""
        # Step boundaries and warm-up may lie beyond `epochs`: a short trial of a preset (say
        # `--preset recipe-2018 --epochs 2`) simply never reaches them; the schedule clamps.
        steps, values = self.lr_step_epochs, self.lr_step_values
        if "dropout" not in bad and len(self.dropout) != 3:
            rule = f"must have 3 values, one per conv block (got {self.dropout!r})"
            yield FieldProblem("dropout", "dropout " + rule)
        if self.lr_schedule != "step" or "lr_step_epochs" in bad:
            return
        if any(a >= b for a, b in zip(steps, steps[1:], strict=False)):
            rule = f"must be strictly increasing (got {steps!r})"
            yield FieldProblem("lr_step_epochs", "lr_step_epochs " + rule)
        if "lr_step_values" not in bad and len(values) != len(steps):
            rule = f"must have one value per lr_step_epochs entry ({len(steps)}) (got {values!r})"
            yield FieldProblem("lr_step_values", "lr_step_values " + rule)

    def validate(self) -> TrainConfig:
        """Raise ConfigError for the first problem; return self so calls chain."""
        for problem in self.problems():
            raise ConfigError(problem.message, problem.field)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain values in field order (lists copied), ready for TOML."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, object], base: TrainConfig | None = None) -> TrainConfig:
        """Build a config from plain values, checking keys and types but not ranges.

        Args:
            data: field name to value; ints are accepted for floats, bools are not ints.
            base: where missing keys come from; None: the preset named by data["preset"]
                (recipe-2018 if absent).

        Returns:
            A new TrainConfig; `.validate()` or `.problems()` checks the ranges.
        """
        _check_names(data)
        specs = {spec.name: spec for spec in config_fields()}
        values = {name: _coerce(specs[name], value) for name, value in data.items()}
        if base is None:
            base = preset(str(values.get("preset", DEFAULT_PRESET)))
        return base.replace(**values)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with `changes` applied; only the field names are checked."""
        _check_names(changes)
        return dataclasses.replace(copy.deepcopy(self), **changes)


_TYPE_WORDS = {
    "int": "an int",
    "float": "a float",
    "bool": "true or false",
    "str": "a string",
    "list[int]": "a list of ints like 75,100",
    "list[float]": "a list of floats like 0.2,0.3",
}


def config_fields() -> list[FieldSpec]:
    """The TrainConfig fields in declaration order, for the CLI flags and the UI form."""
    defaults, renamed = TrainConfig(), {"min": "minimum", "max": "maximum"}
    return [
        FieldSpec(
            f.name,
            str(f.type),
            getattr(defaults, f.name),
            **{renamed.get(key, key): value for key, value in f.metadata.items()},
        )
        for f in dataclasses.fields(TrainConfig)
    ]


def _check_names(data: Mapping[str, object]) -> None:
    """Reject keys that are not fields, suggesting the closest field name."""
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    for key in data:
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(f"unknown config key '{key}'{hint}", str(key))


def _type_ok(type_name: str, value: object) -> bool:
    if type_name == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):  # bool is an int subclass, but `epochs = true` is a mistake
        return False
    if type_name.startswith("list["):
        element = type_name[5:-1]
        return isinstance(value, list) and all(_type_ok(element, item) for item in value)
    return isinstance(value, {"int": int, "float": int | float, "str": str}[type_name])


def _type_problem(spec: FieldSpec, value: object) -> str | None:
    if _type_ok(spec.type_name, value):
        return None
    return f"{spec.name} must be {_TYPE_WORDS[spec.type_name]} (got {value!r})"


def _coerce(spec: FieldSpec, value: Any) -> object:
    """Check one value's type and widen ints to floats (so TOML writes floats back)."""
    message = _type_problem(spec, value)
    if message:
        raise ConfigError(message, spec.name)
    if spec.type_name == "float":
        return float(value)
    if spec.type_name == "list[float]":
        return [float(item) for item in value]
    return copy.copy(value)


def _range_text(spec: FieldSpec) -> str:
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


def _value_problem(spec: FieldSpec, value: Any) -> str | None:
    """A one-line message if one value breaks its type, choices or range; None if it is fine."""
    message = _type_problem(spec, value)
    if message or not _range_text(spec):
        return message
    items = value if isinstance(value, list) else [value]
    fine = value in spec.choices if spec.choices else all(_in_range(spec, v) for v in items)
    verb = "entries must each be" if isinstance(value, list) else "must be"
    return None if fine else f"{spec.name} {verb} {_range_text(spec)} (got {value!r})"


def parse_field_value(name: str, text: str) -> object:
    """Parse what a user typed for one field and check it on its own (not against other fields).

    Args:
        name: field name, e.g. "learning_rate".
        text: "0.001"; "true"/"false"/"yes"/"no"/"1"/"0"; "75,100" for lists ("" = empty list).

    Returns:
        The value, of the field's type.
    """
    _check_names({name: text})
    spec = next(spec for spec in config_fields() if spec.name == name)
    try:
        value = _parse_text(spec.type_name, text.strip())
    except ValueError:
        raise ConfigError(
            f"{name} must be {_TYPE_WORDS[spec.type_name]} (got {text!r})", name
        ) from None
    message = _value_problem(spec, value)
    if message:
        raise ConfigError(message, name)
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


def load_config(path: Path) -> TrainConfig:
    """Read and validate a TOML config; every error is one line that names the file.

    Args:
        path: the .toml file; keys it leaves out come from the preset it names.

    Returns:
        The validated config.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {path} not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:  # its message ends "(at line N, column M)"
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from None
    try:
        return TrainConfig.from_dict(data).validate()
    except ConfigError as error:
        raise ConfigError(f"config file {path}: {error}", error.field) from None


def save_config(config: TrainConfig, path: Path) -> None:
    """Validate `config` and write it as commented TOML, atomically: a crash leaves the old file.

    Args:
        config: the config; an invalid one raises ConfigError and nothing is written.
        path: the .toml file to write; its folder must exist.
    """
    path = Path(path)
    text = (
        f"# cifar-tui training config, started from preset '{config.preset}'.\n"
        "# Keys left out come from that preset; `cifar-tui train --help` lists every knob.\n\n"
        + tomli_w.dumps(config.validate().to_dict())
    )
    try:
        atomic_write_text(path, text)  # temp file, fsync, rename: a kill leaves the old config
    except OSError as error:
        raise ConfigError(f"cannot write config file {path}: {error}") from None


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


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one --kebab-case option per field but `preset`; only flags given reach the Namespace."""
    for spec in config_fields():
        if spec.name == "preset":  # the CLI owns --preset: it picks the base, not a value
            continue
        allowed = _range_text(spec)
        if spec.type_name.startswith("list["):
            allowed = "comma-separated, each " + allowed
        hint = f"default: {_typed(spec.default)}"
        hint = f"{allowed}; {hint}" if allowed else hint
        options: dict[str, Any] = {"action": argparse.BooleanOptionalAction}
        if spec.type_name != "bool":
            metavar = spec.type_name.replace("list[", "").replace("]", "s").upper()
            options = {"type": _argument_type(spec.name), "metavar": metavar}
            if spec.choices:
                options["metavar"] = "{" + ",".join(spec.choices) + "}"
        parser.add_argument(
            "--" + spec.name.replace("_", "-"),
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


def preset(name: str) -> TrainConfig:
    """A fresh copy of a named preset; ConfigError lists the known names if it is unknown."""
    if name not in PRESETS:
        known = ", ".join(sorted(PRESETS))
        raise ConfigError(f"unknown preset '{name}' (known: {known})", "preset")
    return copy.deepcopy(PRESETS[name])


# The presets, in one place so they are tuned here and nowhere else.
# fmt: off
PRESETS: dict[str, TrainConfig] = {
    # The published recipe: about 90% test accuracy after 125 epochs.
    "recipe-2018": TrainConfig(),
    # Airbench-style speed run, sized for a CPU: airbench94's whitening stem and conv groups at
    # widths 64/128/128 (54 M multiply-adds per image, 1.4x the recipe's CNN; the full 64/256/256
    # net is 3x the recipe and ran at ~190 img/s here). Nesterov SGD with a one-cycle rate (peak
    # 0.2 for batch 256, i.e. ResNet-9's 0.4 per 512), label smoothing instead of dropout, and
    # 2-pixel crops plus flips instead of the recipe's slower rotations and shifts.
    "fast": TrainConfig(
        preset="fast", architecture="airbench-small", epochs=15, batch_size=256,
        optimizer="sgd", learning_rate=0.2, momentum=0.9, nesterov=True, lr_time_decay=0.0,
        lr_schedule="onecycle", warmup_epochs=3.0, lr_step_epochs=[], lr_step_values=[],
        weight_decay=2.5e-4, dropout=[0.0, 0.0, 0.0], label_smoothing=0.2,
        batch_norm_momentum=0.9, rotation_degrees=0.0, shift_fraction=0.0,
        horizontal_flip=True, crop_padding=2, cutout=0,
    ),
    # A smoke trial: the recipe on 5,000 images for 3 epochs. The step switches (75, 100) lie
    # past its end, which validation rejects, so it has none.
    "quick": TrainConfig(
        preset="quick", epochs=3, train_size=5000, lr_step_epochs=[], lr_step_values=[],
    ),
}
# fmt: on
