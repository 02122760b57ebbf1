"""`cifar-tui export RUN --tensorboard DIR`, read back with TensorFlow's summary iterator."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from run_fixtures import write_run
from written_events import raw_events

from cifar_tui.cli import main
from cifar_tui.core.training.tensorboard_export import SKIPPED_TAGS

pytestmark = pytest.mark.slow  # imports TensorFlow


def _read_back(log_dir: Path) -> tuple[dict[tuple[str, int], float], dict[int, float]]:
    """{(tag, step): value} and {step: wall time} of every event file in `log_dir`."""
    import tensorflow as tf

    values: dict[tuple[str, int], float] = {}
    walls: dict[int, float] = {}
    files = sorted(log_dir.glob("events.out.tfevents.*"))
    assert len(files) == 1 and not list(log_dir.glob(".*"))  # no temp file left
    for event in tf.compat.v1.train.summary_iterator(str(files[0])):
        for value in event.summary.value:
            values[value.tag, event.step] = value.simple_value
            walls[event.step] = event.wall_time
    return values, walls


def test_every_metric_is_a_tag_with_the_epoch_as_step_and_its_wall_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    models = tmp_path / "models"
    run = write_run(models, "done", "finished", 5, 5)
    log_dir = tmp_path / "tb" / "done"  # missing: created
    args = ["export", "done", "--tensorboard", str(log_dir), "--models-dir", str(models)]
    assert main(args) == 0
    assert "tensorboard --logdir" in capsys.readouterr().err
    values, walls = _read_back(log_dir)
    expected: dict[tuple[str, int], float] = {}
    for raw in raw_events(run.events_path):
        if raw["type"] != "epoch_ended":
            continue
        assert walls[raw["epoch"]] == pytest.approx(raw["time"])
        for key, value in raw.items():
            if isinstance(value, int | float) and key not in SKIPPED_TAGS | {"time"}:
                expected[f"epoch/{key}", raw["epoch"]] = value
    assert {"epoch/val_accuracy", "epoch/loss", "epoch/learning_rate"} <= {t for t, _ in values}
    assert values.keys() == expected.keys()
    for key, value in values.items():  # stored as float32
        assert math.isclose(value, expected[key], rel_tol=1e-6), key
