"""A TrainConfig as a TOML file: read and validated with one-line errors, written atomically."""

from __future__ import annotations

import sys
from pathlib import Path

import tomli_w

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.config_values import ConfigError
from cifar_tui.core.presets import config_from_dict
from cifar_tui.core.rundir.atomic import atomic_write_text


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
        return config_from_dict(data).validate()
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
