"""tf.distribute for the trainer: logical CPUs, the strategy a config names, multi-worker fixes.

Every function takes the imported `tensorflow` module, so importing this module costs nothing.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Mapping
from typing import Any

from cifar_tui.core.errors import UserError
from cifar_tui.core.training import tfenv
from cifar_tui.core.training.cluster import (
    SLURM_PORT_ENV,
    logical_cpus,
    slurm_port_base,
    task_from_env,
)


def split_logical_cpus(tf: Any) -> None:
    """Split the CPU into CIFAR_TUI_LOGICAL_CPUS logical devices (for mirrored runs without GPUs).

    Must run before the TensorFlow runtime starts; a no-op when the variable is unset.
    """
    count = logical_cpus()
    if count:
        cpus = tf.config.list_physical_devices("CPU")
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
        )


def make_strategy(tf: Any, name: str, gpus: list[str]) -> Any:
    """The tf.distribute strategy the config names; one device (first GPU, else CPU) by default.

    `mirrored` replicates over every local GPU, or over the logical CPUs when there is no GPU
    (one replica, unless CIFAR_TUI_LOGICAL_CPUS split the CPU). `multi-worker` takes its cluster
    from TF_CONFIG, else from SLURM's job step (`cluster.task_from_env`).

    `one-device` is TensorFlow's default strategy, which places every op on the first GPU, else
    the CPU: the path a plain `model.fit` takes. `OneDeviceStrategy` put the same ops on the same
    device but fed each step through a MultiDeviceIterator, which measured side by side cost
    training speed on the CPU (BENCHMARKS.md, issue 4a) for nothing one device needs.
    """
    if name == "mirrored":
        if gpus:
            return tf.distribute.MirroredStrategy()
        cpus = [device.name for device in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=cpus)
    if name == "multi-worker":
        if task_from_env().source == "SLURM":
            resolver = slurm_cluster_resolver(tf, len(gpus))
            strategy = tf.distribute.MultiWorkerMirroredStrategy(cluster_resolver=resolver)
        else:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()  # TF_CONFIG's cluster
        reclaim_sigterm()
        return strategy
    return tf.distribute.get_strategy()


def reclaim_sigterm() -> None:
    """Give SIGTERM back to Python's handler (the trainer's stop) after the multi-worker strategy.

    Creating MultiWorkerMirroredStrategy starts TensorFlow's coordination service, which puts its
    own C-level SIGTERM handler (a preemption notifier, for PreemptionCheckpointHandler, which
    cifar-tui does not use) in place of Python's: a SIGTERM (scancel, SLURM's time limit, `kill`)
    then went unseen and the workers trained on until SLURM's SIGKILL. Registering Python's
    handler again puts it back (tests/core/test_slurm.py, the scancel test).
    """
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread; the trainer runs there
    handler = signal.getsignal(signal.SIGTERM)
    if handler is not None:  # None: not set from Python; leave it
        signal.signal(signal.SIGTERM, handler)


def slurm_cluster_resolver(tf: Any, local_gpus: int) -> Any:
    """This srun step's cluster, from TensorFlow's SlurmClusterResolver, with this task's GPUs.

    The resolver (TF 2.21) reads SLURM_PROCID, SLURM_STEP_NUM_TASKS, SLURM_STEP_NODELIST and
    SLURM_STEP_TASKS_PER_NODE and expands the host list itself (no `scontrol`). It lists the
    nodes sorted by name, each with its tasks in rank order on ports `slurm_port_base()`, +1...;
    worker i is the task with SLURM_PROCID i. It never sets CUDA_VISIBLE_DEVICES here
    (`auto_set_gpu=False`): by then TensorFlow has listed its GPUs, and the GPUs SLURM gave the
    task (`--gpus-per-task`), or the ones the `devices` setting chose, are the ones to use; each
    worker uses every GPU it sees. Its own GPU arithmetic (nvidia-smi, GPUs per node divided by
    tasks per node) is bypassed with placeholders, and the cluster goes to
    MultiWorkerMirroredStrategy in a SimpleClusterResolver that reports `local_gpus`.

    Raises:
        UserError: the step's variables do not make a cluster, or SLURM placed this task
            elsewhere than the resolver's address for it, or that port is taken on this node.
    """
    resolvers = tf.distribute.cluster_resolver
    tasks = int(os.environ["SLURM_STEP_NUM_TASKS"])
    try:
        slurm = resolvers.SlurmClusterResolver(
            port_base=slurm_port_base(), gpus_per_node=tasks, gpus_per_task=1, auto_set_gpu=False
        )
        spec = slurm.cluster_spec()
    except (ValueError, RuntimeError) as error:
        raise UserError(f"SLURM's job step is not a cluster TensorFlow can use: {error}") from None
    task_type, task_id = slurm.get_task_info()
    check_slurm_address(spec.task_address(task_type, task_id), task_id)
    gpus = {"GPU": local_gpus}
    return resolvers.SimpleClusterResolver(
        spec, task_type=task_type, task_id=task_id, num_accelerators=gpus, rpc_layer="grpc"
    )


def check_slurm_address(address: str, rank: int, environ: Mapping[str, str] | None = None) -> None:
    """Refuse to start where the resolver's address for this task is not where SLURM ran it.

    The resolver assumes block distribution over the nodes sorted by name (`node9` sorts after
    `node10`); with `--distribution=cyclic`, or such names, its addresses point at other tasks
    and every worker would wait forever. SLURMD_NODENAME and SLURM_LOCALID say where this task
    really is. Also checks that the task's port is free on this node.

    Raises:
        UserError: a mismatch (use block distribution or TF_CONFIG), or the port is taken.
    """
    env = os.environ if environ is None else environ
    node, local = env.get("SLURMD_NODENAME", ""), env.get("SLURM_LOCALID", "")
    host, _, port = address.rpartition(":")  # the resolver's "host:port"
    if node and local.isdigit():
        expected = f"{node}:{slurm_port_base(env) + int(local)}"
        if address != expected:
            raise UserError(
                f"SlurmClusterResolver puts task {rank} at {address}, but SLURM runs it on "
                f"{node} as local task {local} ({expected}): the resolver assumes "
                "--distribution=block and nodes in name order (node10 sorts before node9); "
                "use block distribution, or give each task its TF_CONFIG"
            )
    with socket.socket() as probe:
        try:
            probe.bind(("", int(port)))
        except OSError as error:
            raise UserError(
                f"worker {rank} cannot listen on port {port} of {node or host} "
                f"({error.strerror}): set {SLURM_PORT_ENV} to the first of a range of ports "
                "free on every node"
            ) from None


def build_from_dataset_shapes(model: Any, strategy: Any, tf: Any) -> None:
    """Make `model.fit` learn the batch's shapes from its dataset's element_spec, not a batch.

    Keras 3.15's `fit`, under any tf.distribute strategy, makes an iterator over the dataset,
    takes one batch to build the model's metrics from, and drops the iterator at once, while the
    strategy's MultiDeviceIterator is still prefetching in a background thread. TF 2.21 then
    sometimes calls GetNext on the freed host iterator and the process dies of a segfault: seen
    once in CI, then in 6 of 110 resumes here (a resume from mid-epoch calls `fit` twice; the
    iterator is fast enough to race only when the pipeline is warm), and in a 6-line script
    (`iter`, `next`, `del` over a distributed dataset) within 300 tries. Shapes and dtypes are all
    that building needs, and the dataset's element_spec holds them, so no iterator is made.

    Under MultiWorkerMirroredStrategy this also avoids Keras's `strategy.reduce("MEAN", (x, y))`
    of that batch, which fails there ("Attempt to convert a value (PerReplica...) to a Tensor").

    Under TensorFlow's default strategy (one device) Keras builds when it traces the train step
    and makes no such iterator, so the model is left as plain Keras has it.
    """
    import keras

    if model._distribute_strategy is None:
        return
    original = model._maybe_symbolic_build

    def build(iterator: Any = None, data_batch: Any = None) -> None:
        if iterator is None or data_batch is not None:
            original(iterator=iterator, data_batch=data_batch)
            return
        spec = iterator.data_adapter.get_tf_dataset().element_spec
        symbolic = tf.nest.map_structure(
            lambda tensor: keras.KerasTensor(tuple(tensor.shape), tensor.dtype.name), spec
        )
        with strategy.scope():
            model._symbolic_build(data_batch=symbolic)

    model._maybe_symbolic_build = build


def patch_keras_for_multi_worker(tf: Any) -> None:
    """Work around a Keras 3.15 bug under MultiWorkerMirroredStrategy with 2+ workers.

    Each train step averages its scalar logs across workers with `strategy.reduce("MEAN", v,
    axis=0)`, which fails on scalars ("Invalid reduction dimension 0 for input with 0
    dimensions"). Reducing with axis=None is the mean across replicas that the one-machine
    strategies compute. (Process-wide, but a trainer process trains one run.) The other bug there,
    in building the model from a batch, `build_from_dataset_shapes` avoids for every strategy.
    """
    from keras.src.backend.tensorflow import trainer as keras_trainer

    reduce_per_replica = keras_trainer.reduce_per_replica
    if getattr(reduce_per_replica, "cifar_tui_patched", False):
        return

    def reduce_scalars_across_workers(values: Any, on: Any, reduction: str = "auto") -> Any:
        if reduction in ("auto", "mean") and keras_trainer._collective_all_reduce_multi_worker(on):
            return tf.nest.map_structure(lambda value: on.reduce("MEAN", value, axis=None), values)
        return reduce_per_replica(values, on, reduction)

    reduce_scalars_across_workers.cifar_tui_patched = True  # type: ignore[attr-defined]
    keras_trainer.reduce_per_replica = reduce_scalars_across_workers


def any_worker(strategy: Any, tf: Any) -> Any:
    """A collective `flag -> bool`: True on every worker when any worker passed True.

    Every worker must call it the same number of times, at the same points (it is an
    all-reduce); `stopping.AgreedStop` does so at fixed step numbers.
    """

    @tf.function
    def total(flag: Any) -> Any:
        per_replica = strategy.run(tf.identity, args=(flag,))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    return lambda flag: bool(total(tf.constant(1.0 if flag else 0.0)) > 0)


def describe_device(gpus: list[str]) -> str:
    """What trains: "2 GPUs", or the CPU with its core count and bf16 support."""
    if gpus:
        return f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''}"
    names = {"amx_bf16": "AMX-BF16", "avx512_bf16": "AVX512-BF16"}
    flags = tfenv.cpu_bf16_flags()
    bf16 = f", {'/'.join(names[flag] for flag in flags)}" if flags else ""
    return f"CPU ({os.cpu_count()} cores{bf16})"
