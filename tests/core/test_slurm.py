"""`--strategy multi-worker` under SLURM: the task from SLURM's environment, the resolver's
cluster, the one-line refusals, and two `srun`-like local workers with no TF_CONFIG."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from written_events import raw_events

from cifar_tui.core.errors import UserError
from cifar_tui.core.training.cluster import (
    MISSING_CLUSTER,
    SLURM_PORT_ENV,
    Task,
    slurm_port_base,
    task_from_env,
)

TINY = ["--preset", "quick", "--train-size", "0", "--batch-size", "50",
        "--batch-norm-momentum", "0.5", "--mixed-precision", "off"]  # fmt: skip


def _slurm(procid: int, tasks: int = 2, **extra: str) -> dict[str, str]:
    """What srun sets in task `procid` of a one-node step of `tasks` tasks (the variables used)."""
    return {
        "SLURM_JOB_ID": "4242",
        "SLURM_PROCID": str(procid),
        "SLURM_LOCALID": str(procid),
        "SLURMD_NODENAME": "localhost",
        "SLURM_STEP_NUM_TASKS": str(tasks),
        "SLURM_STEP_NODELIST": "localhost",
        "SLURM_STEP_TASKS_PER_NODE": str(tasks),
        **extra,
    }


def _without_cluster() -> dict[str, str]:
    """This process's environment without TF_CONFIG or any SLURM variable (CI may run in SLURM)."""
    return {
        k: v
        for k, v in os.environ.items()
        if k != "TF_CONFIG" and not k.startswith(("SLURM_", "SLURMD_"))
    }


# --- the task from the environment (no TensorFlow) --------------------------------------------

TF_CONFIG_WORKER_1 = json.dumps(
    {"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 1}}
)


@pytest.mark.parametrize(
    ("environ", "expected", "chief"),
    [
        (_slurm(0), Task("worker", 0, 2, False, "SLURM"), True),
        (_slurm(1), Task("worker", 1, 2, False, "SLURM"), False),
        (_slurm(3, tasks=4), Task("worker", 3, 4, False, "SLURM"), False),
        (_slurm(0, tasks=1), Task("worker", 0, 1, False, "SLURM"), True),
        # TF_CONFIG wins over SLURM: here it makes SLURM's rank 0 a non-chief worker 1.
        ({**_slurm(0), "TF_CONFIG": TF_CONFIG_WORKER_1}, Task("worker", 1, 2, False, "TF_CONFIG"),
         False),
        ({"TF_CONFIG": TF_CONFIG_WORKER_1}, Task("worker", 1, 2, False, "TF_CONFIG"), False),
        # A blank TF_CONFIG is not set: SLURM's cluster is used.
        ({**_slurm(1), "TF_CONFIG": " "}, Task("worker", 1, 2, False, "SLURM"), False),
    ],
)  # fmt: skip
def test_task_from_tf_config_or_slurm(environ: dict, expected: Task, chief: bool) -> None:
    task = task_from_env(environ)
    assert task == expected and task.is_chief is chief


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, MISSING_CLUSTER),
        ({"TF_CONFIG": ""}, MISSING_CLUSTER),
        # In the sbatch script itself, not in an srun step: SLURM_JOB_ID (and a PROCID) only.
        ({"SLURM_JOB_ID": "7", "SLURM_PROCID": "0"},
         "SLURM_STEP_NUM_TASKS, SLURM_STEP_NODELIST, SLURM_STEP_TASKS_PER_NODE are not set: "
         "start every worker as a job step, `srun cifar-tui train --strategy multi-worker ...`"),
        ({k: v for k, v in _slurm(0).items() if k != "SLURM_PROCID"},
         "SLURM_PROCID is not set"),
        (_slurm(2), "SLURM_PROCID=2 is not below SLURM_STEP_NUM_TASKS=2"),
        ({**_slurm(0), "SLURM_PROCID": "one"}, "SLURM_PROCID='one': SLURM sets a whole number"),
        ({**_slurm(0), "SLURM_STEP_NUM_TASKS": "0"}, "SLURM_STEP_NUM_TASKS='0'"),
        ({**_slurm(0), SLURM_PORT_ENV: "80"}, f"{SLURM_PORT_ENV}='80': give a port number"),
        ({**_slurm(0), "TF_CONFIG": "{"}, "TF_CONFIG is not a usable cluster spec"),
    ],
)  # fmt: skip
def test_what_is_missing_or_wrong_is_one_line(environ: dict, message: str) -> None:
    with pytest.raises(UserError) as caught:
        task_from_env(environ)
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_the_missing_cluster_line_names_both_sources_and_the_fix() -> None:
    assert "TF_CONFIG" in MISSING_CLUSTER and "SLURM_PROCID" in MISSING_CLUSTER
    assert "srun cifar-tui train --strategy multi-worker" in MISSING_CLUSTER


@pytest.mark.parametrize(
    ("environ", "port"),
    [({SLURM_PORT_ENV: "23456", "SLURM_JOB_ID": "7"}, 23456),
     ({"SLURM_JOB_ID": "7"}, 10140), ({"SLURM_JOB_ID": "123999"}, 10000 + 20 * 999),
     ({}, 8888)],
)  # fmt: skip
def test_slurm_port_base(environ: dict, port: int) -> None:
    assert slurm_port_base(environ) == port


def test_multi_worker_without_a_cluster_fails_before_making_a_run(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cifar_tui", "train", "--strategy", "multi-worker",
         "--models-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, env=_without_cluster(),
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == f"cifar-tui: error: {MISSING_CLUSTER}"
    assert list(tmp_path.iterdir()) == []


# --- SlurmClusterResolver's cluster (TensorFlow, no training) ---------------------------------


def _free_port_range(count: int) -> int:
    """The first of `count` consecutive ports free on this machine now."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("", 0))
            base = first.getsockname()[1]
        if base + count > 65000:
            continue
        sockets = [socket.socket() for _ in range(count)]
        try:
            for offset, sock in enumerate(sockets):
                sock.bind(("", base + offset))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise AssertionError(f"no {count} consecutive free ports")


def _resolve(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], gpus: int = 0) -> Any:
    """distribution.slurm_cluster_resolver in `environ` (SLURM's variables, a free port range)."""
    import tensorflow as tf

    from cifar_tui.core.training import distribution

    for name in _slurm(0):
        monkeypatch.delenv(name, raising=False)
    for name, value in {SLURM_PORT_ENV: str(_free_port_range(4)), **environ}.items():
        monkeypatch.setenv(name, value)
    return distribution.slurm_cluster_resolver(tf, gpus)


def _two_nodes(procid: int, node: str, local: int) -> dict[str, str]:
    """Task `procid` of 2 nodes x 2 tasks, running on `node` as its local task `local`."""
    return {**_slurm(procid, tasks=4), "SLURM_STEP_NODELIST": "node[01-02]",
            "SLURM_STEP_TASKS_PER_NODE": "2(x2)", "SLURMD_NODENAME": node,
            "SLURM_LOCALID": str(local)}  # fmt: skip


def test_the_resolver_numbers_block_distributed_tasks_by_rank(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "5")  # SLURM's choice for this task stands
    resolver = _resolve(monkeypatch, _two_nodes(2, "node02", 0), gpus=2)
    base = int(os.environ[SLURM_PORT_ENV])
    assert resolver.cluster_spec().as_dict() == {
        "worker": [f"node01:{base}", f"node01:{base + 1}", f"node02:{base}", f"node02:{base + 1}"]
    }
    assert (resolver.task_type, resolver.task_id) == ("worker", 2)
    assert resolver.num_accelerators() == {"GPU": 2} and resolver.rpc_layer == "grpc"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "5"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        # --distribution=cyclic: rank 1 runs on node02 as its local task 0.
        (_two_nodes(1, "node02", 0), "but SLURM runs it on node02 as local task 0"),
        # node9 sorts after node10 by name: the resolver gives rank 0 (on node9) node10's address.
        ({**_slurm(0), "SLURM_STEP_NODELIST": "node[9-10]", "SLURM_STEP_TASKS_PER_NODE": "1(x2)",
          "SLURMD_NODENAME": "node9", "SLURM_LOCALID": "0"}, "puts task 0 at node10:"),
        ({**_slurm(0), "SLURM_STEP_NODELIST": "node[1-"}, "not a cluster TensorFlow can use"),
        ({**_slurm(0), "SLURM_STEP_TASKS_PER_NODE": "1"}, "Requested 2 tasks but only 1"),
    ],
)  # fmt: skip
def test_a_cluster_the_resolver_gets_wrong_is_refused(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(").replace("[", r"\[")):
        _resolve(monkeypatch, environ)


def test_a_taken_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UserError, match=f"worker 0 cannot listen on port {port} of localhost"):
            _resolve(monkeypatch, {**_slurm(0), SLURM_PORT_ENV: str(port)})


# --- two srun-like local workers --------------------------------------------------------------


def _start_tasks(*args: str | Path) -> list[subprocess.Popen]:
    """`cifar-tui train ARGS` as srun starts it on 1 node x 2 tasks (no TF_CONFIG)."""
    command = [sys.executable, "-m", "cifar_tui", "train", *map(str, args)]
    port = str(_free_port_range(2))
    base = {**_without_cluster(), "CIFAR_TUI_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**base, **_slurm(procid, **{SLURM_PORT_ENV: port})},
            stdin=subprocess.DEVNULL,
        )
        for procid in (0, 1)
    ]


def _outputs(workers: list[subprocess.Popen]) -> list[str]:
    """Each task's output once it exits; any still running after 240 s is killed."""
    try:
        return [worker.communicate(timeout=240)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def _srun(*args: str | Path) -> list[str]:
    """The tasks' outputs of `_start_tasks(ARGS)`, once both exited 0."""
    workers = _start_tasks(*args)
    outputs = _outputs(workers)
    report = "\n---\n".join(outputs)
    assert [w.returncode for w in workers] == [0, 0], report
    assert "multi-worker x2" in outputs[0], report
    assert "multi-worker worker1 of 2: not the chief" in outputs[1], report
    return outputs


@pytest.mark.slow
def test_multi_worker_from_slurm_on_two_local_processes(
    cifar_archive: Path, tmp_path: Path
) -> None:
    """srun's environment, no TF_CONFIG: the chief (SLURM_PROCID 0) writes the run folder, the
    other worker its scratch folder; both finish with the same accuracy, then resume together."""
    models, scratch = tmp_path / "models", tmp_path / "scratch"
    common = ("--data-dir", cifar_archive, "--models-dir", models, "--worker-dir", scratch)
    _srun(*TINY, "--strategy", "multi-worker", "--epochs", "1", "--name", "slurm", *common)
    outputs = _srun("--resume", "slurm", "--epochs", "2", *common)
    assert "resuming slurm" in outputs[0] and "resuming slurm" in outputs[1]

    assert [p.name for p in models.iterdir()] == ["slurm"]
    events = raw_events(models / "slurm" / "events.jsonl")
    started = [e for e in events if e["type"] == "run_started"]
    assert [(e["strategy"], e["replicas"], e["resumed"]) for e in started] == [
        ("multi-worker", 2, False), ("multi-worker", 2, True)]  # fmt: skip
    assert [e["epoch"] for e in events if e["type"] == "epoch_ended"] == [1, 2]
    assert events[-1]["type"] == "finished" and events[-1]["test_accuracy"] > 0.2
    assert not (models / "slurm" / "trainer.lock").exists()
    other = raw_events(scratch / "worker1" / "slurm" / "events.jsonl")
    assert other[-1]["type"] == "finished"
    assert other[-1]["test_accuracy"] == events[-1]["test_accuracy"]


@pytest.mark.slow
def test_scancel_stops_both_tasks_at_one_step(cifar_archive: Path, tmp_path: Path) -> None:
    """scancel and the time limit send SIGTERM to every task: both stop at the same step, with a
    checkpoint and `stopped`, and exit 0."""
    models, scratch = tmp_path / "models", tmp_path / "scratch"
    # Batch 10: 50 steps per epoch, so the stop lands mid-epoch; 50 epochs: it cannot finish.
    workers = _start_tasks(*TINY, "--batch-size", "10", "--strategy", "multi-worker",
                           "--epochs", "50", "--name", "slurm", "--data-dir", cifar_archive,
                           "--models-dir", models, "--worker-dir", scratch)  # fmt: skip
    events_path = models / "slurm" / "events.jsonl"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not (
            events_path.exists()
            and any(e["type"] == "batch" and e["epoch"] >= 2 for e in raw_events(events_path))
        ):
            assert all(w.poll() is None for w in workers), "a task exited before the stop"
            time.sleep(0.2)
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
    finally:
        report = "\n---\n".join(_outputs(workers))
    assert [w.returncode for w in workers] == [0, 0], report
    chief = raw_events(events_path)[-1]
    other = raw_events(scratch / "worker1" / "slurm" / "events.jsonl")[-1]
    assert chief["type"] == other["type"] == "stopped", report
    assert (chief["epoch"], chief["step"]) == (other["epoch"], other["step"])
    assert "SIGTERM" in (chief["reason"], other["reason"])
    latest = json.loads((models / "slurm" / "checkpoint" / "latest.json").read_text())
    assert (latest["epoch"], latest["step"]) == (chief["epoch"], chief["step"])
