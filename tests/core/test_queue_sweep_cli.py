"""`cifar-tui queue add` with sweep flags: what it would queue (the runner is not started here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cifar_tui.cli import build_parser, main
from cifar_tui.commands.queue import entries_from_args
from cifar_tui.core.config import TrainConfig
from cifar_tui.core.presets import preset
from cifar_tui.core.queue.store import queued


def _entries(models: Path, *flags: str) -> list[tuple[str, TrainConfig]]:
    args = build_parser().parse_args(["queue", "add", "--models-dir", str(models), *flags])
    return entries_from_args(args)


def test_single_values_queue_one_run_as_before(tmp_path: Path) -> None:
    flags = ["--preset", "fast", "--epochs", "3", "--dropout", "0.1,0.2,0.3", "--name", "one"]
    [(name, config)] = _entries(
        tmp_path, *flags, "--no-nesterov", "--devices", "1,3", "--strategy", "mirrored"
    )
    assert name == "one"
    assert config == preset("fast").replace(
        epochs=3, dropout=[0.1, 0.2, 0.3], nesterov=False, devices="1,3", strategy="mirrored"
    )


def test_several_values_queue_their_product(tmp_path: Path) -> None:
    flags = ["--preset", "quick", "--learning-rate", "0.05,0.1", "--seed", "0,1", "--name", "s"]
    runs = _entries(tmp_path, *flags, "--nesterov", "true,false", "--dropout", "0,0,0/0.1,0.2,0.3")
    assert [name for name, _ in runs][:3] == [
        "s-lr0.05-nesterov-drop0_0_0-seed0",
        "s-lr0.05-nesterov-drop0_0_0-seed1",
        "s-lr0.05-nesterov-drop0.1_0.2_0.3-seed0",
    ]
    assert len(runs) == 16
    assert runs[-1][1] == preset("quick").replace(
        learning_rate=0.1, nesterov=False, dropout=[0.1, 0.2, 0.3], seed=1
    )


def test_a_bool_flag_alone_means_true(tmp_path: Path) -> None:
    [(_, config)] = _entries(tmp_path, "--preset", "recipe-2018", "--nesterov")
    assert config.nesterov is True


def test_a_bad_value_queues_nothing_and_says_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    args = ["queue", "add", "--models-dir", str(models), "--learning-rate", "0.1,0,0.2"]
    assert main([*args, "--seed", "0,1"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("learning_rate value 2 of 3 must be > 0 and <= 10 (got 0.0)")
    assert len(err.splitlines()) == 1
    assert queued(models) == []
