"""`cifar-tui train --preset airbench94` end to end on the tiny archive, then `evaluate`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
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
    # The reported figure is model.keras's: its six test-time views, the single view beside it.
    assert finished["tta"] == "flip-translate" and 0 <= finished["single_view_accuracy"] <= 1
    assert "flip-translate test-time views; single view" in result.stdout
    report = cli("evaluate", "ab", "--models-dir", models, "--data-dir", cifar_archive, "--json")
    assert report.returncode == 0, report.stderr
    reported = json.loads(report.stdout)
    assert reported["accuracy"] == pytest.approx(finished["test_accuracy"], abs=1e-9)
    assert reported["tta"] == "flip-translate"
    assert reported["single_view_accuracy"] == pytest.approx(
        finished["single_view_accuracy"], abs=1e-9
    )
    text = cli("evaluate", models / "ab", "--data-dir", cifar_archive)
    assert text.stdout.startswith(f"Test result: {100 * finished['test_accuracy']:.3f} loss: ")
    single = f"single view: {100 * finished['single_view_accuracy']:.3f}"
    assert single in text.stdout.splitlines()[1]


def test_airbench94_stopped_and_resumed_matches_an_uninterrupted_run(
    cifar_archive: Path, tmp_path: Path
) -> None:
    """Lookahead's slow weights and the alternating flips survive a stop mid-epoch."""
    args = ["--preset", "airbench94", "--train-size", "500", "--epochs", "2", "--batch-size",
            "10", "--mixed-precision", "off", "--data-dir", cifar_archive, "--models-dir",
            tmp_path]  # fmt: skip
    reference = cli("train", *args, "--name", "reference")
    assert reference.returncode == 0, reference.stderr
    env = {**os.environ, "CIFAR_TUI_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cifar_tui", "train", *map(str, args), "--name", "stopped"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    events_path = tmp_path / "stopped" / "events.jsonl"
    deadline = time.monotonic() + 300
    while not any(e["type"] == "batch" and e["epoch"] == 2 and e["step"] >= 7
                  for e in raw_events(events_path)):  # fmt: skip
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    stopped = raw_events(events_path)[-1]
    assert stopped["type"] == "stopped" and 0 < stopped["step"] < 50
    resumed = cli("train", "--resume", "stopped", "--models-dir", tmp_path, "--data-dir",
                  cifar_archive)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    final, expected = (
        {e["epoch"]: e for e in raw_events(tmp_path / name / "events.jsonl")
         if e["type"] == "epoch_ended"}[2]
        for name in ("stopped", "reference")
    )  # fmt: skip
    # Epoch 2's training loss averages only the steps run since the resume; the weights it ends
    # on (Lookahead's last step puts the slow weights in place) are what validation measures.
    assert final["val_loss"] == pytest.approx(expected["val_loss"], rel=1e-3)
    assert final["val_accuracy"] == expected["val_accuracy"]
