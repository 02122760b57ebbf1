"""Sweeps: several values for config fields, their cartesian product, and one name per run.

The syntax, read by `cifar-tui queue add` flags and by the config form's text fields:
- a field holding one number or word takes alternatives separated by commas:
  `--learning-rate 0.05,0.1,0.2 --seed 0,1,2` (9 runs);
- a field holding a list (dropout, lr_step_epochs, lr_step_values, devices) keeps its
  comma-separated list as ONE value and takes alternatives separated by "/":
  `--dropout 0.2,0.3,0.4/0.3,0.4,0.5` (2 runs).
Text without a separator is one value, read exactly as a single run reads it.

Runs are named `PREFIX-TOKEN-TOKEN...`, one token per swept field in declaration order, e.g.
`fast-lr0.1-seed1` (see `value_token`).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Mapping
from datetime import datetime
from pathlib import Path

from cifar_tui.core.config import TrainConfig, config_fields, parse_field_value
from cifar_tui.core.config_values import ConfigError, FieldProblem, FieldSpec
from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.naming import new_run_name, valid_run_name

__all__ = [
    "ABBREVIATIONS",
    "LIST_SEPARATOR",
    "MAX_RUNS",
    "Sweep",
    "expand_sweep",
    "name_sweep",
    "parse_alternatives",
    "parse_sweep",
    "short_name",
    "split_alternatives",
    "takes_a_list",
    "value_token",
]

LIST_SEPARATOR = "/"
"""Separates the alternatives of a list-valued field (its list items use commas)."""

MAX_RUNS = 256
"""The most runs one sweep may queue: more is almost surely a typo (say, a seed range)."""

ABBREVIATIONS: dict[str, str] = {
    # "" names a run by the value alone (choices read well as they are: `adam`, `cosine`).
    "preset": "",
    "architecture": "",
    "epochs": "ep",
    "batch_size": "bs",
    "train_size": "n",
    "validation_split": "val",
    "optimizer": "",
    "learning_rate": "lr",
    "momentum": "mom",
    "nesterov": "nesterov",
    "lr_time_decay": "decay",
    "lr_schedule": "",
    "lr_step_epochs": "steps",
    "lr_step_values": "steplr",
    "warmup_epochs": "warm",
    "weight_decay": "wd",
    "dropout": "drop",
    "label_smoothing": "ls",
    "batch_norm_momentum": "bnm",
    "rotation_degrees": "rot",
    "shift_fraction": "shift",
    "horizontal_flip": "flip",
    "crop_padding": "crop",
    "cutout": "cutout",
    "seed": "seed",
    "mixed_precision": "mp",
    "jit_compile": "xla",
    "steps_per_execution": "spe",
    "augment_on": "aug",
    "strategy": "",
    "devices": "dev",
}
"""The short name of each field in run names and in the form's count line (a field left out
uses its name without underscores)."""


def short_name(name: str) -> str:
    """A field's short name in run names: `lr` for learning_rate ("" for choice fields)."""
    return ABBREVIATIONS.get(name, name.replace("_", ""))


def _spec(name: str) -> FieldSpec:
    for spec in config_fields():
        if spec.name == name:
            return spec
    TrainConfig.from_dict({name: None}, base=TrainConfig())  # raises, with a close name
    raise AssertionError(name)  # pragma: no cover - from_dict raised above


def takes_a_list(spec: FieldSpec) -> bool:
    """Whether one value of the field may hold commas (so its alternatives take "/")."""
    # `devices` is a string holding a list of GPU indices, "1,3".
    return spec.type_name.startswith("list[") or spec.name == "devices"


def split_alternatives(spec: FieldSpec, text: str) -> list[str]:
    """The alternatives typed into one field: split on "," (or on "/" for a list field)."""
    separator = LIST_SEPARATOR if takes_a_list(spec) else ","
    return [part.strip() for part in text.strip().split(separator)]


def parse_alternatives(spec: FieldSpec, text: str) -> list[object]:
    """Parse every alternative of one field; one value if there is no separator.

    Raises:
        ConfigError: naming the field and the bad value (and its place among several), or a
            value given twice (the runs would be the same and share a name).
    """
    parts = split_alternatives(spec, text)
    if len(parts) == 1:
        return [parse_field_value(spec.name, text)]
    values: list[object] = []
    for place, part in enumerate(parts, 1):
        try:
            value = parse_field_value(spec.name, part)
        except ConfigError as error:  # "seed must be ..." -> "seed value 2 of 3 must be ..."
            where = f"{spec.name} value {place} of {len(parts)}"
            raise ConfigError(str(error).replace(spec.name, where, 1), spec.name) from None
        if value in values:
            raise ConfigError(f"{spec.name} lists {part} twice; give each value once", spec.name)
        values.append(value)
    return values


def value_token(name: str, value: object) -> str:
    """One swept field's part of a run name: `lr0.1`, `seed1`, `drop0.2_0.3_0.4`, `adam`,
    `noflip`; floats in their shortest form (`1e-6`, `2` for 2.0)."""
    short = short_name(name)
    if isinstance(value, bool):
        return short if value else "no" + short
    if isinstance(value, list):
        return short + "_".join(_compact(item) for item in value)
    return short + _compact(value)


def _compact(value: object) -> str:
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value).replace("e-0", "e-").replace("e+0", "e+")
    return str(value).replace(",", "_")  # devices "1,3"


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A base config and the fields given several values; one run per combination."""

    base: TrainConfig
    """Every field's value when it has one, and the first alternative where it has several."""
    values: dict[str, list[object]]
    """The fields given several values, in declaration order, each with its alternatives."""

    @property
    def count(self) -> int:
        """How many runs the sweep makes (1: no field has several values)."""
        count = 1
        for alternatives in self.values.values():
            count *= len(alternatives)
        return count

    def summary(self) -> str:
        """'9 runs: lr x3, seed x3', or '1 run' when nothing is swept."""
        if not self.values:
            return "1 run"
        parts = [f"{short_name(name) or name} x{len(v)}" for name, v in self.values.items()]
        return f"{self.count} runs: " + ", ".join(parts)

    def combinations(self) -> list[tuple[str, TrainConfig]]:
        """(name suffix, config) per run, the last field varying fastest; suffix '' if one run."""
        names = list(self.values)
        runs = []
        for combo in itertools.product(*self.values.values()):
            chosen = dict(zip(names, combo, strict=True))
            suffix = "-".join(value_token(name, value) for name, value in chosen.items())
            runs.append((suffix, self.base.replace(**chosen)))
        return runs

    def problems(self) -> list[FieldProblem]:
        """The first problem per field over every run (rules tying fields together, e.g. one
        step rate per step epoch, may fail for some combinations only)."""
        found: dict[str, FieldProblem] = {}
        for suffix, config in self.combinations():
            for problem in config.problems():
                where = f" (run {suffix})" if suffix else ""
                found.setdefault(
                    problem.field, FieldProblem(problem.field, problem.message + where)
                )
        return list(found.values())

    def runs(self, prefix: str) -> list[tuple[str, TrainConfig]]:
        """(run name, validated config) per run: `prefix` alone, or `prefix-suffix`.

        Raises:
            ConfigError: the first problem of any run; none is returned then.
        """
        for problem in self.problems():
            raise ConfigError(problem.message, problem.field)
        return [
            (f"{prefix}-{suffix}" if suffix else prefix, c) for suffix, c in self.combinations()
        ]


def parse_sweep(base: TrainConfig, texts: Mapping[str, str]) -> Sweep:
    """A sweep from what was typed per field (fields not in `texts` keep `base`'s value).

    Raises:
        ConfigError: the first bad field or value (one line naming both), or more than
            MAX_RUNS runs.
    """
    single: dict[str, object] = {}
    several: dict[str, list[object]] = {}
    order = [spec.name for spec in config_fields()]
    for name in sorted(texts, key=lambda key: order.index(key) if key in order else -1):
        values = parse_alternatives(_spec(name), texts[name])
        single[name] = values[0]
        if len(values) > 1:
            several[name] = values
    sweep = Sweep(base.replace(**single), several)
    if sweep.count > MAX_RUNS:
        raise ConfigError(f"{sweep.summary()} is too many (at most {MAX_RUNS} in one sweep)")
    return sweep


def expand_sweep(
    models_dir: Path,
    base: TrainConfig,
    texts: Mapping[str, str],
    name: str | None,
    taken: Collection[str] = (),
    now: datetime | None = None,
) -> list[tuple[str, TrainConfig]]:
    """Every run of a sweep typed as flags, named and validated, ready for the queue.

    Args:
        models_dir, name, taken, now: as for `name_sweep`.
        base: the preset or config file the flags change.
        texts: field name to the text typed for it, e.g. {"learning_rate": "0.05,0.1"}.

    Raises:
        UserError: a bad value (ConfigError, naming the field), a bad name, or a taken one.
    """
    return name_sweep(parse_sweep(base, texts), models_dir, name, taken, now)


def name_sweep(
    sweep: Sweep,
    models_dir: Path,
    name: str | None,
    taken: Collection[str] = (),
    now: datetime | None = None,
) -> list[tuple[str, TrainConfig]]:
    """Every run of `sweep`, named and validated.

    Args:
        sweep: the runs.
        models_dir: where the runs will live; names taken there are refused (or, without
            `name`, avoided by a "-2", "-3"... on the dated prefix).
        name: the user's run name (`--name`), the prefix of every run; None: date, time and
            preset, as a single run gets (`2026-12-04_2330_fast-lr0.1-seed1`).
        taken: names taken besides the folders in `models_dir` (the queued runs').
        now: the time in that date (default: now).

    Raises:
        UserError: a bad value (ConfigError, naming the field), a bad name, or a taken one.
    """
    if name is not None:
        if not valid_run_name(name):
            raise UserError(f"run name {name!r} is not a folder name; use letters, digits, -_.")
        runs = sweep.runs(name)
        clash = [run for run, _ in runs if run in taken or (Path(models_dir) / run).exists()]
        if clash:
            raise UserError(f"run {clash[0]} is already queued or exists; pick another name")
        return runs
    first = new_run_name(models_dir, sweep.base.preset, now)
    dated = sweep.runs(first)
    runs, counter = dated, 1
    while any(run in taken or (Path(models_dir) / run).exists() for run, _ in runs):
        counter += 1  # the dated name is free but one of the sweep's names is taken
        prefix = f"{first}-{counter}"
        runs = [(prefix + run[len(first) :], config) for run, config in dated]
    return runs
