"""tf.distribute on the CPU: mirrored over two logical CPUs, multi-worker as two local processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from written_events import raw_events

from cifar_tui.core.errors import UserError
from cifar_tui.core.training.cluster import LOGICAL_CPUS_ENV, Task, logical_cpus, task_from_env

TINY = ["--preset", "quick", "--train-size", "0", "--batch-size", "50",
        "--batch-norm-momentum", "0.5", "--mixed-precision", "off"]  # fmt: skip


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CONFIG", LOGICAL_CPUS_ENV)}
    return {**env, "CIFAR_TUI_OFFLINE": "1", "PYTHONUNBUFFERED": "1", **extra}


def _train_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "cifar_tui", "train", *TINY, *map(str, args)]


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _tf_config(ports: list[int], index: int) -> str:
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    return json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})


# --- TF_CONFIG and the logical-CPU hook (no TensorFlow) ---------------------------------------


def _task(cluster: dict, task_type: str, index: int) -> Task:
    spec = {"cluster": cluster, "task": {"type": task_type, "index": index}}
    return task_from_env({"TF_CONFIG": json.dumps(spec)})


def test_worker_zero_is_chief_unless_the_cluster_names_one() -> None:
    two = {"worker": ["a:1", "b:2"]}
    first, second = _task(two, "worker", 0), _task(two, "worker", 1)
    assert first.is_chief and not second.is_chief and second.workers == 2
    assert second == Task("worker", 1, 2, False, "TF_CONFIG")
    with_chief = {"chief": ["c:0"], "worker": ["a:1"]}
    assert _task(with_chief, "chief", 0).is_chief
    worker = _task(with_chief, "worker", 0)
    assert not worker.is_chief and worker.workers == 2


@pytest.mark.parametrize(
    "text",
    ["{", "[]", '{"cluster": {"worker": ["a:1"]}}', '{"cluster": {"worker": ["a:1"]}, '
     '"task": {"type": "worker", "index": 3}}', '{"cluster": {"ps": ["a:1"]}, '
     '"task": {"type": "ps", "index": 0}}'],
)  # fmt: skip
def test_a_bad_tf_config_is_one_user_error(text: str) -> None:
    with pytest.raises(UserError, match="TF_CONFIG"):
        task_from_env({"TF_CONFIG": text})


def test_logical_cpus_hook() -> None:
    assert logical_cpus({}) == 0 and logical_cpus({LOGICAL_CPUS_ENV: "2"}) == 2
    for bad in ("0", "two", "-1", "999"):
        with pytest.raises(UserError, match=LOGICAL_CPUS_ENV):
            logical_cpus({LOGICAL_CPUS_ENV: bad})


# --- real tiny runs ---------------------------------------------------------------------------


@pytest.mark.slow
def test_mirrored_on_two_logical_cpus_reports_two_replicas(
    cifar_archive: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        _train_command("--strategy", "mirrored", "--epochs", "1", "--data-dir", cifar_archive,
                       "--models-dir", tmp_path, "--name", "mirrored"),
        capture_output=True, text=True, timeout=180, env=_env(**{LOGICAL_CPUS_ENV: "2"}),
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "mirrored x2" in result.stdout
    events = raw_events(tmp_path / "mirrored" / "events.jsonl")
    assert events[0]["strategy"] == "mirrored" and events[0]["replicas"] == 2
    assert events[-1]["type"] == "finished" and events[-1]["test_accuracy"] > 0.2


def _start_workers(command: list[str]) -> list[subprocess.Popen]:
    """`command` as workers 0 and 1 of a loopback cluster."""
    ports = _free_ports(2)
    return [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=_env(TF_CONFIG=_tf_config(ports, index)),
            stdin=subprocess.DEVNULL,
        )
        for index in (0, 1)
    ]


def _outputs(workers: list[subprocess.Popen], timeout: float) -> list[str]:
    """Each worker's output once it exits; any still running after `timeout` is killed."""
    outputs = []
    try:
        for worker in workers:
            outputs.append(worker.communicate(timeout=timeout)[0])
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    return outputs


def _run_workers(*args: str | Path) -> list[str]:
    """`cifar-tui train ARGS` as workers 0 and 1 of a loopback cluster; their outputs."""
    workers = _start_workers([sys.executable, "-m", "cifar_tui", "train", *map(str, args)])
    outputs = _outputs(workers, timeout=240)
    report = "\n---\n".join(outputs)
    assert [w.returncode for w in workers] == [0, 0], report
    assert "multi-worker x2" in outputs[0] and "not the chief" in outputs[1], report
    return outputs


@pytest.mark.slow
def test_multi_worker_on_two_local_processes(cifar_archive: Path, tmp_path: Path) -> None:
    """Two workers on loopback, 1 epoch then resumed to 2: only the chief writes the run folder."""
    models, scratch = tmp_path / "models", tmp_path / "scratch"
    common = ("--data-dir", cifar_archive, "--models-dir", models, "--worker-dir", scratch)
    _run_workers(*TINY, "--strategy", "multi-worker", "--epochs", "1", "--name", "mw", *common)
    outputs = _run_workers("--resume", "mw", "--epochs", "2", *common)
    assert "resuming mw" in outputs[0] and "resuming mw" in outputs[1]

    # The shared models folder holds the chief's run only, complete and unlocked.
    assert [p.name for p in models.iterdir()] == ["mw"]
    run = models / "mw"
    names = {p.name for p in run.iterdir()}
    assert {"config.toml", "events.jsonl", "checkpoint", "model.keras", "predictions.npz",
            "augmentation_preview.npz", "trainer.log"} <= names, names  # fmt: skip
    assert "trainer.lock" not in names and not [n for n in names if n.endswith(".tmp")]
    events = raw_events(run / "events.jsonl")
    started = [e for e in events if e["type"] == "run_started"]
    assert [(e["strategy"], e["replicas"], e["resumed"]) for e in started] == [
        ("multi-worker", 2, False), ("multi-worker", 2, True)]  # fmt: skip
    assert [e["epoch"] for e in events if e["type"] == "epoch_ended"] == [1, 2]
    assert events[-1]["type"] == "finished" and events[-1]["test_accuracy"] > 0.2
    latest = json.loads((run / "checkpoint" / "latest.json").read_text())
    assert latest["epoch"] == 2 and latest["step"] == 0
    with np.load(run / "predictions.npz") as predictions:
        assert predictions["probabilities"].shape == (100, 10)  # every test image, once

    # The other worker trained the same steps into its scratch folder (no lock left there).
    worker_run = scratch / "worker1" / "mw"
    assert not (worker_run / "trainer.lock").exists()
    worker_events = raw_events(worker_run / "events.jsonl")
    assert worker_events[-1]["type"] == "finished"
    assert worker_events[-1]["test_accuracy"] == events[-1]["test_accuracy"]


@pytest.mark.slow
def test_a_stop_on_one_worker_stops_every_worker_at_the_same_step(
    cifar_archive: Path, tmp_path: Path
) -> None:
    """SIGINT to the non-chief mid-epoch: both workers agree, stop at one step, and resume."""
    models, scratch = tmp_path / "models", tmp_path / "scratch"
    common = ("--data-dir", cifar_archive, "--models-dir", models, "--worker-dir", scratch)
    # Batch 10: 50 steps per epoch, so a stop lands mid-epoch; 50 epochs: it cannot finish first.
    workers = _start_workers(
        _train_command(
            "--batch-size",
            "10",
            "--strategy",
            "multi-worker",
            "--epochs",
            "50",
            "--name",
            "mw",
            *common,
        )  # fmt: skip
    )
    events_path = models / "mw" / "events.jsonl"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if events_path.exists() and any(
                e["type"] == "batch" and e["epoch"] >= 2 for e in raw_events(events_path)
            ):
                break
            assert all(w.poll() is None for w in workers), "a worker exited before the stop"
            time.sleep(0.2)
        workers[1].send_signal(signal.SIGINT)
    finally:
        outputs = _outputs(workers, timeout=120)
    report = "\n---\n".join(outputs)
    assert [w.returncode for w in workers] == [0, 0], report
    chief = raw_events(events_path)[-1]
    other = raw_events(scratch / "worker1" / "mw" / "events.jsonl")[-1]
    assert chief["type"] == other["type"] == "stopped", report
    assert (chief["epoch"], chief["step"]) == (other["epoch"], other["step"])
    assert chief["reason"] == "another worker stopped" and other["reason"] == "SIGINT"
    assert chief["step"] % 10 == 0 and 2 <= chief["epoch"] + 1 < 50

    # Both resume from that checkpoint and finish the epoch the stop cut short.
    epochs = str(chief["epoch"] + 1)
    outputs = _run_workers("--resume", "mw", "--epochs", epochs, *common)
    events = raw_events(events_path)
    assert events[-1]["type"] == "finished" and events[-1]["epoch"] == int(epochs)


@pytest.mark.parametrize("strategy_name", ["one-device", "mirrored"])
def test_fit_builds_from_the_dataset_shapes_without_iterating(strategy_name: str) -> None:
    """Keras's own build pulls a batch and drops a prefetching MultiDeviceIterator, which TF 2.21
    sometimes segfaults on; the patched build must never iterate the dataset."""
    import keras
    import tensorflow as tf

    from cifar_tui.core.training import distribution

    strategy = distribution.make_strategy(tf, strategy_name, gpus=[])
    with strategy.scope():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
        distribution.build_from_dataset_shapes(model, strategy, tf)
    dataset = tf.data.Dataset.from_tensors((tf.zeros([2, 4]), tf.one_hot([0, 1], 3)))

    class NeverIterated:
        """What `fit` hands the build: an epoch iterator; iterating it fails the test."""

        class data_adapter:  # noqa: N801 - the attribute Keras's epoch iterator has
            @staticmethod
            def get_tf_dataset() -> tf.data.Dataset:
                return dataset

        def __iter__(self) -> None:
            raise AssertionError("the build pulled a batch")

    model._maybe_symbolic_build(iterator=NeverIterated())
    if strategy_name == "one-device":  # the default strategy: Keras builds when it traces
        assert model._distribute_strategy is None
    else:
        assert model.built and model.optimizer.built and model._compile_metrics.built
    history = model.fit(dataset.repeat(), steps_per_epoch=3, epochs=1, verbose=0, shuffle=False)
    assert len(history.history["loss"]) == 1


def test_one_device_is_the_path_plain_keras_takes() -> None:
    """No MultiDeviceIterator between the pipeline and the step (1-3% of CPU speed, issue 4a)."""
    import tensorflow as tf

    from cifar_tui.core.training import distribution

    strategy = distribution.make_strategy(tf, "one-device", gpus=[])
    assert strategy is tf.distribute.get_strategy()
    assert strategy.num_replicas_in_sync == 1
    dataset = tf.data.Dataset.range(3)
    assert strategy.experimental_distribute_dataset(dataset) is dataset
