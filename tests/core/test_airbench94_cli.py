"""`cifar-tui train --preset airbench94` end to end on the tiny archive, then `evaluate`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from written_events import raw_events

pytestmark = pytest.mark.slow


def cli(*args: str | Path, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CIFAR_TUI_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cifar_tui", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_airbench94_trains_and_evaluate_prints_its_own_figure(
    cifar_archive: Path, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    result = cli("train", "--preset", "airbench94", "--train-size", "500", "--epochs", "2",
                 "--mixed-precision", "off", "--data-dir", cifar_archive, "--models-dir",
                 models, "--name", "ab")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Test result:" in result.stdout
    config = (models / "ab" / "config.toml").read_text()
    assert "lookahead = true" in config and "alternating_flip = true" in config
    finished = raw_events(models / "ab" / "events.jsonl")[-1]
    report = cli("evaluate", "ab", "--models-dir", models, "--data-dir", cifar_archive, "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["accuracy"] == pytest.approx(
        finished["test_accuracy"], abs=1e-9
    )
    text = cli("evaluate", models / "ab", "--data-dir", cifar_archive)
    assert text.stdout.startswith(f"Test result: {100 * finished['test_accuracy']:.3f} loss: ")
