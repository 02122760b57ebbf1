"""TrainConfig: every knob of a training run, declared once with its help and allowed values.

The declaration drives everything else: `config_fields()` feeds the CLI flags
(commands/flags.py), the UI form and validation (config_values.py). Presets live in presets.py,
TOML files in config_files.py.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from cifar_tui.core.config_values import (
    ConfigError,
    FieldProblem,
    FieldSpec,
    coerce,
    parse_value,
    type_problem,
    value_problem,
)
from cifar_tui.core.devices import devices_from_plain, devices_problem, parse_devices

DEFAULT_PRESET = "recipe-2018"


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
    """Model: the recipe's 6-conv ELU/BN CNN, an airbench94-style net (widths 64/256/256) or its
    narrower sibling (64/128/128); README's presets table and BENCHMARKS.md compare them."""
    epochs: int = _knob(125, "passes over the training set", "[1, 10000]")
    """Passes over the training set; the recipe's 125 (its accuracy: BENCHMARKS.md)."""
    batch_size: int = _knob(64, "global batch size", "[1, 65536]")
    """Global batch size in images; a multi-device strategy splits it across replicas."""
    train_size: int = _knob(0, "training images used (0 = all)", "[0, 50000]")
    """Training images used: 0 = all 50,000, N = a fixed subset for quick trials."""
    validation_split: float = _knob(0.0, "training fraction held out (0 = test set)", "[0, 0.5]")
    """0 validates on the test set as the recipe does; >0 holds out that fraction of training."""
    optimizer: str = _knob("rmsprop-keras2", "optimizer", "rmsprop|rmsprop-keras2|sgd|adam|adamw")
    """Optimizer. rmsprop-keras2 is the recipe's: Keras 2's RMSprop, epsilon outside the square
    root (core/training/keras2_rmsprop.py); rmsprop is Keras 3's, epsilon inside."""
    learning_rate: float = _knob(0.001, "initial learning rate", "(0, 10]")
    """Initial learning rate (the peak rate for onecycle/cosine)."""
    momentum: float = _knob(0.0, "sgd/rmsprop momentum", "[0, 1)")
    """Momentum for sgd and rmsprop; adam/adamw ignore it (they have their own betas), and so
    does rmsprop-keras2 (Keras 2.1's RMSprop had none)."""
    nesterov: bool = _knob(False, "Nesterov momentum (sgd)")
    """Nesterov momentum; only sgd uses it."""
    lr_time_decay: float = _knob(1e-6, "Keras-2 time-based decay per step", "[0, 1]")
    """Keras 2's `decay=`: lr / (1 + d * step); 1e-6 is about -9% over the recipe's 125 epochs."""
    lr_schedule: str = _knob("step", "learning-rate schedule", "constant|step|onecycle|cosine")
    """Schedule over epochs, applied on top of lr_time_decay."""
    lr_step_epochs: list[int] = _knob([75], "epochs after which step rates apply", "[1, 10000]")
    """0-based epochs after which the step schedule switches rate; strictly increasing. The
    recipe's code keeps 5e-4 from epoch 76 on (its `elif epoch > 100` is never reached); the
    article's text adds 3e-4 after 100: `--lr-step-epochs 75,100 --lr-step-values 5e-4,3e-4`."""
    lr_step_values: list[float] = _knob([0.0005], "step-schedule rates", "(0, 10]")
    """The rate after each of lr_step_epochs (same length)."""
    warmup_epochs: float = _knob(0.0, "linear warm-up epochs (onecycle/cosine)", "[0, 10000]")
    """Linear warm-up for onecycle/cosine, in epochs (fractions allowed; capped at epochs)."""
    whiten_bias: bool = _knob(False, "trainable bias on the whitening conv (airbench)")
    """airbench nets: the whitening conv gets a bias that trains from 0 (its kernel stays the
    frozen, data-derived basis), as airbench94 has."""
    identity_init: bool = _knob(False, "identity init of each conv's first filters (airbench)")
    """airbench nets: each 3x3 conv's first `in` filters start as the identity (Dirac) on their
    own input channel, as airbench94 initialises them; the other filters keep Keras's init."""
    bias_lr_scale: float = _knob(1.0, "BatchNorm-bias learning-rate multiplier (sgd)", "(0, 1000]")
    """The BatchNorm biases train at this multiple of the rate (airbench94: 64); sgd only
    (core/training/airbench_sgd.py)."""
    lookahead: bool = _knob(False, "Lookahead: slow weights every 5 steps (sgd, airbench)")
    """airbench94's Lookahead: every 5 steps the weights are pulled to slow weights that trail
    them, and the run ends on the slow weights; sgd only (core/training/airbench_sgd.py)."""
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
    alternating_flip: bool = _knob(False, "alternate each image's flip by epoch (airbench)")
    """With horizontal_flip: each image gets one coin, then is flipped on even epochs if it came
    up heads and on odd epochs if not (airbench94's alternating flips), instead of a fresh coin
    per epoch."""
    jpeg_augment: float = _knob(0.0, "share of training images JPEG-compressed", "[0, 1]")
    """Share of training images JPEG-compressed and decoded at a random quality from
    jpeg_min_quality to 95 before the other augmentation (core/training/jpeg_augment.py), for
    accuracy on JPEG images; 0 = off."""
    jpeg_min_quality: int = _knob(40, "lowest quality jpeg_augment draws (to 95)", "[1, 95]")
    """40 spans CIFAR-10-C's JPEG severities (80 down to 40); a higher floor spends less of the
    network on heavy artifacts (BENCHMARKS.md: the JPEG option's clean cost)."""
    tta: str = _knob("off", "test-time augmentation in model.keras", "off|flip|flip-translate")
    """Views averaged at test time, built into model.keras (core/training/tta.py): the image and
    its mirror (flip), plus both shifted one pixel (flip-translate, airbench94's 6 views). The
    run's final test accuracy is the averaged one, with the single view beside it."""
    seed: int = _knob(0, "random seed", "[0, 2147483647]")
    """Seed for weights, shuffling, augmentation and the subset/hold-out draw."""
    mixed_precision: str = _knob("auto", "mixed precision", "auto|off|bf16|fp16")
    """auto = bf16 on CPUs with AMX/AVX512-BF16, fp16 on GPUs, else off."""
    jit_compile: bool = _knob(False, "XLA-compile the train step")
    """Compile the train step with XLA."""
    steps_per_execution: int = _knob(0, "train steps per graph call (0 = auto)", "[0, 1000]")
    """Batches per graph call: 0 = auto (1 on a CPU, 16 on a GPU: BENCHMARKS.md, issue 14a).
    >1 cuts Python overhead per step; an epoch's last call runs only the steps it has left (a
    train function traced for them: execution.ShortLastCall), and a stop comes at a call's end."""
    augment_on: str = _knob("auto", "where augmentation runs", "auto|cpu|device")
    """cpu: in the tf.data pipeline; device: inside the train step, on the GPU (only the random
    draws stay in the pipeline); auto: device on a GPU, else cpu. Same (seed, epoch, step) draws
    either way (core/training/pipeline.py)."""
    strategy: str = _knob("one-device", "distribution", "one-device|mirrored|multi-worker")
    """How training spreads over devices and hosts."""
    devices: str = _knob("auto", "GPUs: auto, cpu, or indices like 0 or 1,3")
    """nvidia-smi's GPU indices to train on (mirrored: one replica each), `cpu` (hide every GPU)
    or `auto`: the least busy GPU with the most free memory when the run starts (every GPU for
    mirrored and multi-worker); core/host/gpu_choice.py."""

    def problems(self) -> list[FieldProblem]:
        """Every invalid field (not just the first), for the UI's inline validation."""
        found = []
        for spec in config_fields():
            value = getattr(self, spec.name)
            # The step lists only matter to the step schedule; elsewhere only their type does.
            if spec.name in ("lr_step_epochs", "lr_step_values") and self.lr_schedule != "step":
                message = type_problem(spec, value)
            else:
                message = value_problem(spec, value)
            if spec.name == "devices":  # a grammar, not a range or a choice
                message = message or devices_problem(value)
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
        if "devices" not in bad and self.strategy == "one-device":
            gpus = parse_devices(self.devices)
            if isinstance(gpus, tuple) and len(gpus) > 1:
                rule = f"names {len(gpus)} GPUs but strategy one-device trains on one"
                fix = "give one index, or strategy mirrored for one replica per GPU"
                yield FieldProblem("devices", f"devices {self.devices} {rule}: {fix}")
        sgd_only = {"optimizer", "bias_lr_scale", "lookahead"}
        if (
            not sgd_only & bad
            and self.optimizer != "sgd"
            and (self.bias_lr_scale != 1.0 or self.lookahead)
        ):
            rule = "bias_lr_scale and lookahead need optimizer sgd"
            yield FieldProblem("optimizer", f"{rule}: set optimizer sgd, or bias_lr_scale 1 and "
                               "lookahead off")  # fmt: skip
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
    def from_dict(cls, data: Mapping[str, object], base: TrainConfig) -> TrainConfig:
        """Build a config from plain values, checking keys and types but not ranges.

        Args:
            data: field name to value; ints are accepted for floats, bools are not ints.
            base: where missing keys come from (presets.config_from_dict takes the preset that
                `data` names).

        Returns:
            A new TrainConfig; `.validate()` or `.problems()` checks the ranges.
        """
        _check_names(data)
        specs = {spec.name: spec for spec in config_fields()}
        if "devices" in data:  # TOML may hold `devices = 1` or `devices = [1, 3]`
            data = {**data, "devices": devices_from_plain(data["devices"])}
        values = {name: coerce(specs[name], value) for name, value in data.items()}
        return base.replace(**values)

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with `changes` applied; only the field names are checked."""
        _check_names(changes)
        return dataclasses.replace(copy.deepcopy(self), **changes)


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


def parse_field_value(name: str, text: str) -> object:
    """Parse what a user typed for one field and check it on its own (not against other fields).

    Args:
        name: field name, e.g. "learning_rate".
        text: "0.001"; "true"/"false"/"yes"/"no"/"1"/"0"; "75,100" for lists ("" = empty list).

    Returns:
        The value, of the field's type.
    """
    _check_names({name: text})
    value = parse_value(next(spec for spec in config_fields() if spec.name == name), text)
    message = devices_problem(value) if name == "devices" else None
    if message:
        raise ConfigError(message, name)
    return value
