"""The corruption evaluation (core/training/robustness) and `evaluate --corruptions` on real,
tiny Keras models: deterministic, consistent with plain `evaluate`, written into the run folder."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from run_fixtures import write_run

from cifar_tui.core.analysis.robustness_report import read_report
from cifar_tui.core.data.corruptions import CORRUPTIONS, SEVERITIES, corrupt, jpeg

pytestmark = pytest.mark.slow


def tiny_model(seed: int = 0) -> Any:
    """The `quick` preset's network, untrained, with seeded weights."""
    import keras

    from cifar_tui.core.presets import preset
    from cifar_tui.core.training import model as model_lib

    keras.utils.set_random_seed(seed)
    return model_lib.build_model(preset("quick"), model_lib.Normalization((120.0,), (64.0,)))


def images_and_labels(count: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (count, 32, 32, 3), dtype=np.uint8)
    return images, rng.integers(0, 10, count).astype(np.int64)


def test_evaluation_matches_plain_evaluate_on_each_copy_and_repeats() -> None:
    from cifar_tui.core.training.inference import evaluate
    from cifar_tui.core.training.robustness import evaluate_corruptions

    model = tiny_model()
    images, labels = images_and_labels()
    seen: list[str] = []
    report = evaluate_corruptions(model, images, labels, "tiny", seen.append)
    assert report.images == 40 and report.model == "tiny" and report.seconds > 0
    assert list(report.accuracies) == list(CORRUPTIONS)
    assert len(seen) == 2 + len(CORRUPTIONS) * len(SEVERITIES)
    assert report.clean == evaluate(model, images, labels).accuracy
    assert report.jpeg_q75 == evaluate(model, jpeg(images, 75), labels).accuracy
    for name in ("gaussian_noise", "contrast"):
        expected = evaluate(model, corrupt(images, name, 5), labels).accuracy
        assert report.accuracies[name][4] == expected
    again = evaluate_corruptions(model, images, labels, "tiny")
    assert dataclasses.replace(again, seconds=report.seconds) == report


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CIFAR_TUI_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cifar_tui", *map(str, args)],
        capture_output=True, text=True, timeout=240, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_cli_json_writes_the_runs_corruptions_file(cifar_archive: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    run = write_run(models, "tiny", "finished", 2, 2)
    tiny_model().save(run.model_path)
    args = ("evaluate", "tiny", "--models-dir", models, "--data-dir", cifar_archive,
            "--corruptions", "--corruption-images", "30", "--json")  # fmt: skip
    result = cli(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert data["images"] == 30 and data["written"] == str(run.path / "corruptions.json")
    assert set(data["corruptions"]) == set(CORRUPTIONS)
    assert all(len(entry["severities"]) == 5 for entry in data["corruptions"].values())
    report = read_report(run.path)
    assert report is not None and report.mca == pytest.approx(data["mean_corruption_accuracy"])
    plain = json.loads(cli("evaluate", "tiny", "--models-dir", models, "--data-dir",
                           cifar_archive, "--json").stdout)  # fmt: skip
    assert (
        data["clean_accuracy"]
        == pytest.approx(_first_n_accuracy(run.model_path, cifar_archive, 30), abs=1e-9)
        and plain["images"] == 100
    )
    again = json.loads(cli(*args).stdout)
    assert {k: v for k, v in again.items() if k != "seconds"} == {
        k: v for k, v in data.items() if k != "seconds"
    }


def _first_n_accuracy(model_path: Path, archive: Path, count: int) -> float:
    from cifar_tui.commands.train import load_data
    from cifar_tui.core.training.inference import evaluate, load_model

    data = load_data(str(archive))
    model = load_model(model_path)
    return evaluate(model, data.x_test[:count], data.y_test[:count]).accuracy


def test_cli_text_table_and_a_bad_count(cifar_archive: Path, tmp_path: Path) -> None:
    path = tmp_path / "m.keras"
    tiny_model().save(path)
    result = cli("evaluate", path, "--data-dir", cifar_archive, "--corruptions",
                 "--corruption-images", "20")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["corruption", "s1", "s2", "s3", "s4", "s5", "mean"]
    assert [line.split()[0] for line in lines[1:9]] == [
        "JPEG", "Gaussian", "Gaussian", "Contrast", "Brightness", "clean", "JPEG", "mCA"
    ]  # fmt: skip
    assert "wrote" not in result.stdout and not (tmp_path / "corruptions.json").exists()
    bad = cli("evaluate", path, "--data-dir", cifar_archive, "--corruptions",
              "--corruption-images", "0")  # fmt: skip
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [
        "cifar-tui: error: --corruption-images 0 must be at least 1"
    ]
