"""`cifar-tui export RUN --csv`: one row per epoch, read back with the csv module."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from run_fixtures import write_run
from written_events import raw_events

from cifar_tui.cli import main
from cifar_tui.core.rundir.epoch_export import METRIC_COLUMNS, epoch_csv_text, epoch_rows
from cifar_tui.core.rundir.event_types import Event, event_from_dict
from cifar_tui.core.rundir.folder import RunFolder


def _append(run: RunFolder, *lines: dict[str, Any]) -> None:
    """Raw lines, as a trainer (or a hand edit) wrote them: json.dumps keeps NaN as NaN."""
    with run.events_path.open("a", encoding="utf-8") as file:
        for line in lines:
            file.write(json.dumps(line) + "\n")


def _resumed(models: Path) -> RunFolder:
    """4 epochs, then a resume from epoch 3's checkpoint that ends epochs 4 and 5 again/anew;
    epoch 5's loss is NaN (a diverged step) and it carries device readings and a new number."""
    run = write_run(models, "resumed", "stopped", 4, 10, seed=1)
    t = raw_events(run.events_path)[-1]["time"] + 60
    _append(
        run,
        {"type": "run_started", "time": t, "initial_epoch": 3, "epochs": 10, "resumed": True},
        {"type": "epoch_ended", "time": t + 30, "epoch": 4, "loss": 0.5, "val_accuracy": 0.9},
        {
            "type": "epoch_ended",
            "time": t + 60,
            "epoch": 5,
            "loss": math.nan,
            "val_accuracy": 0.91,
            "partial": True,
            "grad_norm": 2.5,
            "note": "text is no number",
            "device_use": {"kind": "gpu", "gpus": [0], "util_mean": 87.5, "samples": 30},
        },
    )
    return run


def _events(run: RunFolder) -> list[Event]:
    return [e for raw in raw_events(run.events_path) if (e := event_from_dict(raw)) is not None]


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_a_resumed_run_has_each_epoch_once_the_latest_segment_winning(tmp_path: Path) -> None:
    run = _resumed(tmp_path / "models")
    first = {raw["epoch"]: raw for raw in raw_events(run.events_path)[:-3] if "loss" in raw}
    rows = _csv(epoch_csv_text(_events(run)))
    assert [row["epoch"] for row in rows] == ["1", "2", "3", "4", "5"]
    for row in rows[:3]:  # the first segment's epochs before the resume point stay as written
        written = first[int(row["epoch"])]
        assert float(row["loss"]) == written["loss"]
        assert float(row["val_accuracy"]) == written["val_accuracy"]
        assert float(row["time"]) == written["time"]
    assert (rows[3]["loss"], rows[3]["val_accuracy"]) == ("0.5", "0.9")  # not the first epoch 4
    assert rows[3]["accuracy"] == ""  # the resumed line did not carry it


def test_nan_and_missing_values_are_empty_cells_and_every_number_is_a_column(
    tmp_path: Path,
) -> None:
    run = _resumed(tmp_path / "models")
    text = epoch_csv_text(_events(run))
    header = next(csv.reader(io.StringIO(text)))
    assert tuple(header[: len(METRIC_COLUMNS)]) == METRIC_COLUMNS
    assert "grad_norm" in header and "note" not in header
    assert {"device_util_mean", "device_samples"} <= set(header)
    last = _csv(text)[-1]
    assert last["loss"] == "" and last["val_accuracy"] == "0.91"
    assert (last["partial"], last["grad_norm"]) == ("1", "2.5")
    assert (last["device_util_mean"], last["device_samples"], last["device_memory_peak"]) == (
        "87.5",
        "30",
        "",
    )
    assert _csv(text)[0]["grad_norm"] == "" and _csv(text)[0]["device_util_mean"] == ""


@pytest.mark.parametrize(
    ("lines", "epochs"),
    [
        ([], []),
        ([{"type": "run_started", "initial_epoch": 0}], []),
        ([{"type": "epoch_ended", "epoch": 2}, {"type": "epoch_ended", "epoch": 1}], [1, 2]),
        (
            [
                {"type": "epoch_ended", "epoch": 1},
                {"type": "epoch_ended", "epoch": 2},
                {"type": "run_started", "initial_epoch": 0},
            ],
            [],
        ),
        (
            [
                {"type": "epoch_ended", "epoch": 1},
                {"type": "epoch_ended", "epoch": 2},
                {"type": "run_started"},  # no initial epoch recorded: nothing is dropped
            ],
            [1, 2],
        ),
        ([{"type": "epoch_ended", "epoch": "3"}, {"type": "epoch_ended", "epoch": 1.5}], []),
    ],
)
def test_which_epochs_stand(lines: list[dict[str, Any]], epochs: list[int]) -> None:
    events = [e for raw in lines if (e := event_from_dict(raw)) is not None]
    assert epoch_rows(events).column("epoch") == epochs


def test_export_csv_writes_a_file_and_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    run = write_run(models, "done", "finished", 6, 6)
    out = tmp_path / "epochs.csv"
    assert main(["export", "done", "--csv", str(out), "--models-dir", str(models)]) == 0
    assert "wrote 6 epochs of done" in capsys.readouterr().err
    rows = _csv(out.read_text())
    written = [raw for raw in raw_events(run.events_path) if raw["type"] == "epoch_ended"]
    assert [float(row["val_loss"]) for row in rows] == [raw["val_loss"] for raw in written]
    assert main(["export", str(run.path), "--csv", "-"]) == 0
    assert capsys.readouterr().out == out.read_text()
    assert not (run.path / "model.json").exists()  # the model export is only the default


def test_a_run_without_epochs_gives_the_header_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    write_run(models, "new", "created", 0, 5)
    assert main(["export", "new", "--csv", "-", "--models-dir", str(models)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [",".join(METRIC_COLUMNS)]
    assert "has not ended an epoch yet" in captured.err


@pytest.mark.parametrize(
    ("flag", "path", "says"),
    [
        ("--csv", "missing/out.csv", "--csv missing/out.csv: folder missing not found"),
        ("--csv", ".", "--csv . is a folder"),
        ("--tensorboard", "file.txt", "--tensorboard file.txt is a file"),
    ],
)
def test_output_paths_of_the_wrong_kind_are_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flag: str,
    path: str,
    says: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write_run(Path("models"), "done", "finished", 2, 2)
    Path("file.txt").write_text("x")
    assert main(["export", "done", flag, path]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
