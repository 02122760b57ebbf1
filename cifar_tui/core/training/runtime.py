"""The first phase of a run: the TensorFlow runtime (devices, strategy, precision, seed).

TensorFlow is imported here, inside `start_runtime`, once tfenv has quieted its logs; modules
that import it at their top (model, pipeline, schedules, recorder, phases) are imported after.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.host.gpu import GpuMonitor
from cifar_tui.core.host.gpu_choice import run_gpus
from cifar_tui.core.rundir.run_gpus import RunGpu
from cifar_tui.core.training import distribution, tfenv
from cifar_tui.core.training.stopping import AgreedStop, StopRequest

STOP_CHECK_STEPS = 10
"""Multi-worker runs agree on a stop every this many steps (one tiny all-reduce each time)."""


@dataclass(frozen=True)
class Runtime:
    """What the later phases need from the runtime."""

    tf: Any
    """The tensorflow module."""
    keras: Any
    """The keras module."""
    strategy: Any
    """The tf.distribute strategy every model is built under."""
    gpus: list[str]
    """The GPUs TensorFlow sees (memory growth on)."""
    policy: str
    """The Keras mixed-precision policy in force, e.g. "mixed_bfloat16" or "float32"."""
    stop: StopRequest | AgreedStop
    """The stop to check: for multi-worker, one every worker agrees on."""
    run_gpus: tuple[RunGpu, ...] = ()
    """The GPUs it trains on, by nvidia-smi's index, name and UUID; () on the CPU."""


def start_runtime(config: TrainConfig, stop: StopRequest) -> Runtime:
    """Import TensorFlow and set it up for `config`; call before any other TensorFlow op."""
    tfenv.quiet_tensorflow_logs()
    import tensorflow as tf

    # Devices first, then the strategy, before any other TensorFlow op: logical CPUs and memory
    # growth must be set before the runtime starts, and MultiWorkerMirroredStrategy must be created
    # before it (it configures the collective ops of this process).
    distribution.split_logical_cpus(tf)
    gpus = tfenv.enable_gpu_memory_growth(tf)
    strategy = distribution.make_strategy(tf, config.strategy, gpus)
    agreed: StopRequest | AgreedStop = stop
    if config.strategy == "multi-worker":
        # A stop must come at the same step on every worker, or the others hang in a collective.
        agreed = AgreedStop(stop, distribution.any_worker(strategy, tf), STOP_CHECK_STEPS)
    import keras

    policy = tfenv.choose_precision(config.mixed_precision, bool(gpus), tfenv.cpu_supports_bf16())
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(config.seed)
    used = min(len(gpus), 1) if config.strategy == "one-device" else len(gpus)
    with GpuMonitor() as nvml:  # names them as nvidia-smi does (gpu_choice set the order)
        named = run_gpus(used, os.environ.get("CUDA_VISIBLE_DEVICES"), nvml.read())
    return Runtime(tf, keras, strategy, gpus, policy, agreed, named)
