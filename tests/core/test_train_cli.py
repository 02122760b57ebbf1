"""Real, tiny `cifar-tui train` runs (500 synthetic images) and the verbs that use their output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from written_events import raw_events

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.slow

# Small and quick, but it must learn: BatchNorm statistics that move fast enough for 20 steps.
TINY = ["--preset", "quick", "--train-size", "0", "--batch-size", "50",
        "--batch-norm-momentum", "0.5", "--mixed-precision", "off"]  # fmt: skip


def cli(*args: str | Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """Run `python -m cifar_tui ARGS` as a user would, without a TTY and offline."""
    env = {**os.environ, "CIFAR_TUI_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cifar_tui", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="module")
def trained(cifar_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One 2-epoch run shared by the tests of this module."""
    models = tmp_path_factory.mktemp("models")
    result = cli("train", *TINY, "--epochs", "2", "--data-dir", cifar_archive,
                 "--models-dir", models, "--name", "tiny")  # fmt: skip
    return {"result": result, "run": models / "tiny", "models": models, "data": cifar_archive}


def test_train_exits_0_and_prints_one_line_per_epoch(trained: dict) -> None:
    result = trained["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert "\r" not in result.stdout
    epoch_lines = [line for line in result.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in epoch_lines] == ["1/2", "2/2"]
    assert "Test result:" in result.stdout
    assert result.stderr == ""  # TensorFlow's chatter went to trainer.log


def test_run_folder_has_every_file(trained: dict) -> None:
    run: Path = trained["run"]
    names = {p.name for p in run.iterdir()}
    assert {"config.toml", "events.jsonl", "checkpoint", "model.keras", "predictions.npz",
            "trainer.log"} <= names  # fmt: skip
    assert "trainer.lock" not in names  # released at exit
    assert not [n for n in names if n.endswith(".tmp")]
    config = tomllib.loads((run / "config.toml").read_text())
    assert config["epochs"] == 2 and config["batch_size"] == 50
    latest = json.loads((run / "checkpoint" / "latest.json").read_text())
    assert latest["epoch"] == 2 and latest["step"] == 0
    assert (run / "checkpoint" / latest["file"]).is_file()
    with np.load(run / "predictions.npz") as predictions:
        assert predictions["probabilities"].shape == (100, 10)
        assert np.allclose(predictions["probabilities"].sum(axis=1), 1.0, atol=1e-3)
        assert predictions["labels"].shape == (100,)
        assert int(predictions["epoch"]) == 2


def test_events_record_the_whole_run(trained: dict) -> None:
    events = raw_events(trained["run"] / "events.jsonl")
    types = [e["type"] for e in events]
    assert types[0] == "run_started" and types[-1] == "finished"
    assert types.count("epoch_ended") == 2 and types.count("checkpoint_saved") == 2
    assert "batch" in types
    started = events[0]
    assert started["train_size"] == 500 and started["steps_per_epoch"] == 10
    assert started["replicas"] == 1 and started["strategy"] == "one-device"
    assert Path(started["data_source"]).is_absolute()  # an app started elsewhere finds it
    for event in (e for e in events if e["type"] == "epoch_ended"):
        for field in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate",
                      "seconds", "images_per_second"):  # fmt: skip
            assert isinstance(event[field], float), field
    # Batch progress is throttled: at most ~5 events per second of training.
    batch_times = [e["time"] for e in events if e["type"] == "batch"]
    span = max(batch_times[-1] - batch_times[0], 1.0)
    assert len(batch_times) <= 5 * span + 4
    finished = events[-1]
    assert finished["test_accuracy"] > 0.2  # learnable synthetic data: well above chance (0.1)


def test_plain_keras_loads_the_model_and_predicts_on_uint8(trained: dict) -> None:
    code = (
        "import os, sys, numpy as np; os.environ['TF_CPP_MIN_LOG_LEVEL']='3'\n"
        "import keras\n"
        "model = keras.models.load_model(sys.argv[1])\n"
        "x = np.random.default_rng(0).integers(0, 256, (4, 32, 32, 3), dtype=np.uint8)\n"
        "p = model.predict(x, verbose=0)\n"
        "print(p.shape, float(p.sum(axis=1).min()), float(p.sum(axis=1).max()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(trained["run"] / "model.keras")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    shape, low, high = result.stdout.strip().rsplit(" ", 2)
    assert shape == "(4, 10)" and abs(float(low) - 1) < 1e-3 and abs(float(high) - 1) < 1e-3


def test_evaluate_reports_the_runs_own_test_accuracy(trained: dict) -> None:
    result = cli("evaluate", "tiny", "--models-dir", trained["models"], "--data-dir",
                 trained["data"], "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    finished = raw_events(trained["run"] / "events.jsonl")[-1]
    assert report["images"] == 100
    assert report["accuracy"] == pytest.approx(finished["test_accuracy"], abs=1e-9)
    assert report["loss"] == pytest.approx(finished["test_loss"], rel=1e-4)
    text = cli("evaluate", trained["run"], "--data-dir", trained["data"])
    assert text.returncode == 0
    assert text.stdout.startswith(f"Test result: {100 * finished['test_accuracy']:.3f} loss: ")


def test_evaluate_on_an_image_folder(trained: dict, tmp_path: Path) -> None:
    from PIL import Image

    for index, (name, colour) in enumerate([("airplane", (220, 40, 40)), ("cat", (220, 220, 40))]):
        (tmp_path / name).mkdir()
        Image.new("RGB", (64 + index, 48), colour).save(tmp_path / name / f"{name}.png")
    result = cli("evaluate", "tiny", "--models-dir", trained["models"], "--images", tmp_path,
                 "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["images"] == 2 and 0.0 <= report["accuracy"] <= 1.0


def test_predict_prints_top_three(trained: dict, tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "red.jpg"
    Image.new("RGB", (100, 80), (220, 40, 40)).save(image)
    result = cli("predict", "tiny", image, "--models-dir", trained["models"])
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith(f"{image}: ") and line.count("%") == 3
    as_json = json.loads(cli("predict", trained["run"] / "model.keras", image, "--json").stdout)
    top = as_json[0]["top"]
    assert len(top) == 3 and top[0]["probability"] >= top[1]["probability"] >= top[2]["probability"]


def test_runs_lists_the_run(trained: dict) -> None:
    table = cli("runs", "--models-dir", trained["models"])
    assert table.returncode == 0
    row = next(line for line in table.stdout.splitlines() if line.startswith("tiny"))
    assert "finished" in row and "2/2" in row
    listed = json.loads(cli("runs", "--models-dir", trained["models"], "--json").stdout)
    assert listed[0]["name"] == "tiny" and listed[0]["status"] == "finished"


def test_export_writes_model_json_and_weights(trained: dict) -> None:
    result = cli("export", "tiny", "--models-dir", trained["models"])
    assert result.returncode == 0, result.stderr
    architecture = json.loads((trained["run"] / "model.json").read_text())
    assert architecture["class_name"] in ("Functional", "Model")
    assert (trained["run"] / "model.weights.h5").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["evaluate", "nope"], "no run named 'nope'"),
        (["predict", "tiny", "missing.png"], "missing.png"),
        (["train", "--epochs", "0"], "epochs"),
        (["train", "--preset", "nope"], "invalid choice"),
        (["train", "--resume", "tiny", "--learning-rate", "0.1"], "only --epochs and --devices"),
        (["train", "--resume", "tiny"], "already has 2 of 2 epochs"),
    ],
    ids=["unknown-run", "missing-image", "bad-epochs", "unknown-preset", "resume-override",
         "resume-complete"],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(trained: dict, args: list[str], message: str) -> None:
    result = cli(*args, "--models-dir", trained["models"], "--data-dir", trained["data"])
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) <= 2


def test_evaluate_rejects_a_file_that_is_not_a_model(tmp_path: Path) -> None:
    fake = tmp_path / "model.keras"
    fake.write_bytes(b"not a zip")
    result = cli("evaluate", fake)
    assert result.returncode == 2
    assert "is not a Keras model file" in result.stderr and "Traceback" not in result.stderr


def _wait_for(predicate, timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_sigint_stops_with_a_checkpoint_and_resume_matches(
    cifar_archive: Path, tmp_path: Path
) -> None:
    """Stop mid-epoch, resume to the end, and compare with an uninterrupted run of the same seed."""
    # 50 steps per epoch so there is time to stop in the middle of epoch 2.
    args = [*TINY, "--batch-size", "10", "--epochs", "3", "--data-dir", cifar_archive,
            "--models-dir", tmp_path]  # fmt: skip
    reference = cli("train", *args, "--name", "reference")
    assert reference.returncode == 0, reference.stderr

    env = {**os.environ, "CIFAR_TUI_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cifar_tui", "train", *map(str, args), "--name", "stopped"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    events_path = tmp_path / "stopped" / "events.jsonl"

    def in_epoch_two() -> bool:
        return any(e["type"] == "batch" and e["epoch"] == 2 and e["step"] >= 5
                   for e in raw_events(events_path))  # fmt: skip

    _wait_for(in_epoch_two)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    events = raw_events(events_path)
    stopped = events[-1]
    assert stopped["type"] == "stopped" and stopped["epoch"] == 1 and 0 < stopped["step"] < 50
    assert stopped["reason"] == "SIGINT"
    latest = json.loads((tmp_path / "stopped" / "checkpoint" / "latest.json").read_text())
    assert (latest["epoch"], latest["step"]) == (1, stopped["step"])
    assert "--resume stopped" in out

    resumed = cli("train", "--resume", "stopped", "--models-dir", tmp_path, "--data-dir",
                  cifar_archive)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    events = raw_events(events_path)
    assert events[-1]["type"] == "finished"
    assert [e["epoch"] for e in events if e["type"] == "epoch_ended"] == [1, 2, 3]
    final = {e["epoch"]: e for e in events if e["type"] == "epoch_ended"}[3]
    expected = {e["epoch"]: e for e in raw_events(tmp_path / "reference" / "events.jsonl")
                if e["type"] == "epoch_ended"}[3]  # fmt: skip
    # Same batches, augmentation, dropout masks and optimizer state: on the CPU the resumed run
    # retraces the uninterrupted one (measured: equal to 5 decimals).
    assert final["loss"] == pytest.approx(expected["loss"], rel=1e-3)
    assert final["val_loss"] == pytest.approx(expected["val_loss"], rel=1e-3)
    assert final["val_accuracy"] == expected["val_accuracy"]


def test_sigterm_stops_with_a_checkpoint_too(cifar_archive: Path, tmp_path: Path) -> None:
    # What `kill`, systemd and batch schedulers send: the same clean stop as Ctrl-C.
    args = [*TINY, "--batch-size", "10", "--epochs", "2", "--data-dir", cifar_archive,
            "--models-dir", tmp_path, "--name", "terminated"]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "cifar_tui", "train", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CIFAR_TUI_OFFLINE": "1"},
    )  # fmt: skip
    events_path = tmp_path / "terminated" / "events.jsonl"
    _wait_for(lambda: any(e["type"] == "batch" and e["step"] >= 5
                          for e in raw_events(events_path)))  # fmt: skip
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    stopped = raw_events(events_path)[-1]
    assert stopped["type"] == "stopped" and stopped["reason"] == "SIGTERM"
    latest = json.loads((tmp_path / "terminated" / "checkpoint" / "latest.json").read_text())
    assert (latest["epoch"], latest["step"]) == (stopped["epoch"], stopped["step"])


def test_a_diverging_loss_fails_the_run_with_a_reason(cifar_archive: Path, tmp_path: Path) -> None:
    result = cli("train", *TINY, "--epochs", "2", "--optimizer", "sgd", "--learning-rate", "10",
                 "--lr-schedule", "constant", "--data-dir", cifar_archive, "--models-dir",
                 tmp_path, "--name", "diverged")  # fmt: skip
    assert result.returncode == 1
    assert "lower --learning-rate" in result.stderr and "Traceback" not in result.stderr
    failed = raw_events(tmp_path / "diverged" / "events.jsonl")[-1]
    assert failed["type"] == "failed" and failed["error"] == "DivergedError"
    assert "became nan" in failed["message"] or "became inf" in failed["message"]
    assert "Traceback" in (tmp_path / "diverged" / "trainer.log").read_text()
