"""Which multi-worker task this process is, from TF_CONFIG (plain Python: no TensorFlow import).

`MultiWorkerMirroredStrategy` reads the cluster from the `TF_CONFIG` environment variable. The
chief (task type "chief", or worker 0 when the cluster names no chief) writes the run folder; every
other worker trains the same steps but writes into a scratch folder (the Keras multi-worker
convention), so that only one process ever writes, or locks, the shared run folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from cifar_tui.core.errors import UserError

# Splits the one physical CPU into this many logical devices before TensorFlow starts, so that
# `--strategy mirrored` has two replicas on a machine without GPUs (for tests and trials).
LOGICAL_CPUS_ENV = "CIFAR_TUI_LOGICAL_CPUS"


@dataclass(frozen=True)
class Task:
    """This process's place in the cluster: ("worker", 0) of 1 when there is no TF_CONFIG."""

    task_type: str = "worker"
    index: int = 0
    workers: int = 1
    cluster_has_chief: bool = False

    @property
    def is_chief(self) -> bool:
        """The task that writes the run: "chief", else worker 0 of a cluster without a chief."""
        if self.cluster_has_chief:
            return self.task_type == "chief"
        return self.task_type == "worker" and self.index == 0


def task_from_env(environ: dict[str, str] | None = None) -> Task:
    """This process's task from TF_CONFIG; a single chief when TF_CONFIG is unset or empty.

    Raises:
        UserError: TF_CONFIG is set but is not the JSON MultiWorkerMirroredStrategy expects.
    """
    text = (os.environ if environ is None else environ).get("TF_CONFIG", "").strip()
    if not text:
        return Task()
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
    return Task(task_type, index, workers, "chief" in cluster)


def logical_cpus(environ: dict[str, str] | None = None) -> int:
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
