"""Checks of a run folder after its trainer was killed (bench/fault_injection.py).

`check_files` finds corrupt files (each one a problem), `litter` the leftovers of interrupted
writes, `position` the checkpoint that latest.json names.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from cifar_tui.core.config_files import load_config
from cifar_tui.core.rundir.events import read_events

KERAS_MEMBERS = {"config.json", "metadata.json", "model.weights.h5"}
"""What a .keras zip holds."""


def position(run: Path) -> tuple[int, int] | None:
    """(epoch, step) of the checkpoint latest.json names, or None (none, or unreadable)."""
    try:
        latest = json.loads((run / "checkpoint" / "latest.json").read_text())
        return int(latest["epoch"]), int(latest["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_files(run: Path, known_torn: set[bytes]) -> tuple[list[str], bytes | None]:
    """Problems found in the run's files (each one a corrupt file) and the torn last line."""
    problems: list[str] = []
    torn = None
    # events.jsonl: complete lines parse; a torn last line is ignored by the reader.
    data = (run / "events.jsonl").read_bytes() if (run / "events.jsonl").exists() else b""
    *complete, last = data.split(b"\n")
    good = 0
    for number, line in enumerate(complete, 1):
        if not line.strip() or line in known_torn:  # a torn line that a resume ended
            continue
        try:
            event = json.loads(line)
            assert isinstance(event, dict) and isinstance(event["type"], str)
            good += 1
        except (ValueError, AssertionError, KeyError):
            problems.append(f"events.jsonl line {number} is not an event: {line[:60]!r}")
    if last:
        torn = last
    if len(read_events(run / "events.jsonl")) != good:
        problems.append("events.jsonl: the reader does not give exactly the complete events")
    # The checkpoint latest.json names.
    latest_path = run / "checkpoint" / "latest.json"
    if latest_path.exists():
        try:
            latest = json.loads(latest_path.read_text())
            with np.load(run / "checkpoint" / latest["file"]) as archive:
                arrays = [archive[name] for name in archive.files]
            if not arrays or not any(name.startswith("optimizer_") for name in archive.files):
                problems.append(f"checkpoint {latest['file']} holds no model/optimizer state")
        except Exception as error:  # noqa: BLE001 - any failure means a corrupt checkpoint
            problems.append(f"checkpoint: {type(error).__name__}: {error}")
    # model.keras: a whole zip with a Keras model's members.
    model = run / "model.keras"
    if model.exists():
        try:
            with zipfile.ZipFile(model) as archive:
                bad = archive.testzip()
                if bad is not None or not KERAS_MEMBERS <= set(archive.namelist()):
                    problems.append(f"model.keras: bad member {bad} or members missing")
        except Exception as error:  # noqa: BLE001
            problems.append(f"model.keras: {type(error).__name__}: {error}")
    for name, keys in (("predictions.npz", ("probabilities", "labels", "epoch")),
                       ("augmentation_preview.npz", ("original", "augmented"))):  # fmt: skip
        if (run / name).exists():
            try:
                with np.load(run / name) as archive:
                    arrays = {key: archive[key] for key in keys}
                if name == "predictions.npz" and not np.allclose(
                    arrays["probabilities"].sum(axis=1), 1.0, atol=1e-3
                ):
                    problems.append("predictions.npz: rows do not sum to 1")
            except Exception as error:  # noqa: BLE001
                problems.append(f"{name}: {type(error).__name__}: {error}")
    try:
        load_config(run / "config.toml")
    except Exception as error:  # noqa: BLE001
        problems.append(f"config.toml: {error}")
    return problems, torn


def litter(run: Path) -> list[str]:
    """Temp files of interrupted writes (hidden `.NAME.xxxxxxxx.tmp...`) and uncommitted npz."""
    found = [str(p.relative_to(run)) for p in run.rglob(".*") if ".tmp" in p.name]
    latest = position(run)
    committed = f"epoch-{latest[0]:04d}-step-{latest[1]:06d}.npz" if latest else None
    found += [f"checkpoint/{p.name}" for p in (run / "checkpoint").glob("epoch-*.npz")
              if p.name != committed]  # fmt: skip
    return sorted(found)
