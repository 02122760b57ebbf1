"""Which multi-worker task this process is, from TF_CONFIG or SLURM (plain Python: no TensorFlow).

`MultiWorkerMirroredStrategy` needs the cluster: every worker's address and this process's place
in it. It comes from the `TF_CONFIG` environment variable when that is set, else, under `srun`,
from SLURM's job-step variables (TensorFlow's SlurmClusterResolver reads them: see
`distribution.slurm_cluster_resolver`). The chief (task type "chief", or worker 0 when the cluster
names no chief; under SLURM the task with SLURM_PROCID 0) writes the run folder; every other
worker trains the same steps but writes into a scratch folder (the Keras multi-worker convention),
so that only one process ever writes, or locks, the shared run folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cifar_tui.core.errors import UserError

# Splits the one physical CPU into this many logical devices before TensorFlow starts, so that
# `--strategy mirrored` has two replicas on a machine without GPUs (for tests and trials).
LOGICAL_CPUS_ENV = "CIFAR_TUI_LOGICAL_CPUS"

SLURM_PORT_ENV = "CIFAR_TUI_SLURM_PORT"
"""Under SLURM, the first worker port on each node (the node's next tasks take the next ports)."""

SLURM_STEP_VARIABLES = (
    "SLURM_PROCID",
    "SLURM_STEP_NUM_TASKS",
    "SLURM_STEP_NODELIST",
    "SLURM_STEP_TASKS_PER_NODE",
)
"""What TensorFlow 2.21's SlurmClusterResolver reads; srun sets them in every task of a step."""

MISSING_CLUSTER = (
    "--strategy multi-worker needs a cluster, and neither TF_CONFIG nor SLURM's job step "
    "(SLURM_PROCID...) is set: give each worker its TF_CONFIG, or start every worker with "
    "`srun cifar-tui train --strategy multi-worker ...` in a SLURM job (README: Scale-out)"
)


@dataclass(frozen=True)
class Task:
    """This process's place in the cluster: ("worker", 0) of 1 when there is no cluster."""

    task_type: str = "worker"
    index: int = 0
    workers: int = 1
    cluster_has_chief: bool = False
    source: str = ""
    """Where the cluster came from: "TF_CONFIG", "SLURM", or "" (none: one local worker)."""

    @property
    def is_chief(self) -> bool:
        """The task that writes the run: "chief", else worker 0 of a cluster without a chief."""
        if self.cluster_has_chief:
            return self.task_type == "chief"
        return self.task_type == "worker" and self.index == 0


def task_from_env(environ: Mapping[str, str] | None = None) -> Task:
    """This process's task for `--strategy multi-worker`: from TF_CONFIG, else from SLURM.

    TF_CONFIG wins when both are set. Under SLURM every task of the step is a worker, its index
    SLURM_PROCID (0 is the chief), as SlurmClusterResolver numbers them.

    Raises:
        UserError: neither is set, TF_CONFIG is not the JSON MultiWorkerMirroredStrategy expects,
            or SLURM's variables are incomplete (a SLURM job but not an srun step) or malformed.
    """
    env = os.environ if environ is None else environ
    text = env.get("TF_CONFIG", "").strip()
    if text:
        return _task_from_tf_config(text)
    if any(name in env for name in (*SLURM_STEP_VARIABLES, "SLURM_JOB_ID")):
        return _task_from_slurm(env)
    raise UserError(MISSING_CLUSTER)


def _task_from_tf_config(text: str) -> Task:
    try:
        spec = json.loads(text)
        cluster = spec["cluster"]
        task = spec["task"]
        task_type, index = str(task["type"]), int(task["index"])
        workers = sum(len(cluster.get(kind, [])) for kind in ("chief", "worker"))
        if task_type not in cluster or not 0 <= index < len(cluster[task_type]):
            raise ValueError(f"task {task_type}:{index} is not in the cluster")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise UserError(
            f"TF_CONFIG is not a usable cluster spec ({error}); expected "
            '{"cluster": {"worker": ["host1:port", ...]}, "task": {"type": "worker", "index": N}}'
        ) from None
    if task_type not in ("chief", "worker"):
        raise UserError(f"TF_CONFIG task type {task_type!r}: cifar-tui runs chief and worker tasks")
    return Task(task_type, index, workers, "chief" in cluster, "TF_CONFIG")


def _task_from_slurm(env: Mapping[str, str]) -> Task:
    missing = [name for name in SLURM_STEP_VARIABLES if not env.get(name, "").strip()]
    if missing:
        raise UserError(
            f"--strategy multi-worker in a SLURM job, but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set: start every worker as a job step, "
            "`srun cifar-tui train --strategy multi-worker ...` (or set TF_CONFIG)"
        )
    rank, tasks = _slurm_int(env, "SLURM_PROCID", 0), _slurm_int(env, "SLURM_STEP_NUM_TASKS", 1)
    if rank >= tasks:
        raise UserError(f"SLURM_PROCID={rank} is not below SLURM_STEP_NUM_TASKS={tasks}")
    slurm_port_base(env)  # a bad port fails here, before the chief makes its run folder
    return Task("worker", rank, tasks, False, "SLURM")


def _slurm_int(env: Mapping[str, str], name: str, least: int) -> int:
    text = env[name].strip()
    if not text.isdigit() or int(text) < least:
        raise UserError(f"{name}={text!r}: SLURM sets a whole number of at least {least} there")
    return int(text)


def slurm_port_base(environ: Mapping[str, str] | None = None) -> int:
    """The first worker port on each node under SLURM (a node's k-th task listens on base + k).

    CIFAR_TUI_SLURM_PORT when set; else 10000 + 20 * (SLURM_JOB_ID mod 1000), so that two jobs
    sharing a node rarely pick the same ports (TensorFlow's own default is 8888 for every job).

    Raises:
        UserError: CIFAR_TUI_SLURM_PORT is not a port number from 1024 to 65000.
    """
    env = os.environ if environ is None else environ
    text = env.get(SLURM_PORT_ENV, "").strip()
    if text:
        if not text.isdigit() or not 1024 <= int(text) <= 65000:
            raise UserError(f"{SLURM_PORT_ENV}={text!r}: give a port number from 1024 to 65000")
        return int(text)
    job = env.get("SLURM_JOB_ID", "").strip()
    return 10000 + 20 * (int(job) % 1000) if job.isdigit() else 8888


def logical_cpus(environ: Mapping[str, str] | None = None) -> int:
    """How many logical CPU devices CIFAR_TUI_LOGICAL_CPUS asks for (0: leave TensorFlow's one)."""
    text = (os.environ if environ is None else environ).get(LOGICAL_CPUS_ENV, "").strip()
    if not text:
        return 0
    try:
        count = int(text)
    except ValueError:
        count = -1
    if not 1 <= count <= 64:
        raise UserError(f"{LOGICAL_CPUS_ENV}={text!r}: give a whole number of devices, 1-64")
    return count
