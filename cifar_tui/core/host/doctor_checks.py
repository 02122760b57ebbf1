"""What `cifar-tui doctor` says about a Facts record: the facts as lines, and each problem as one
line ending in its fix. Pure functions over the record (facts.py reads it)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from cifar_tui.core.host.facts import (
    CUDA_WHEEL,
    Facts,
    FolderFacts,
    TensorflowFacts,
    cuda_wheel_version,
    nvml_facts,
)

GPU_INSTALL = "pip install -e '.[gpu]'"
"""The fix for a TensorFlow without its CUDA libraries (the `gpu` extra of pyproject.toml)."""

RUN_NEEDS_BYTES = 1_000_000_000
"""Free space below which the models folder is a problem. A recipe-2018 run folder is ~4 MB, but
checkpoints are saved beside the previous one before it goes, logs grow, and a full disk stops a
run mid-epoch: 1 GB leaves room for a few runs of any preset."""


def cpu_fallback(
    nvml_gpus: int, tf_gpus: int, cuda_visible: str | None, cuda_wheel: str | None
) -> str | None:
    """One line when NVML sees GPUs that TensorFlow does not (training would use the CPU).

    Args:
        nvml_gpus: GPUs NVML counts (the driver's view).
        tf_gpus: GPUs TensorFlow lists.
        cuda_visible: CUDA_VISIBLE_DEVICES as set (None: unset).
        cuda_wheel: the installed version of the CUDA wheel the `gpu` extra brings, if any.
    """
    if nvml_gpus == 0 or tf_gpus > 0:
        return None
    seen = f"NVML sees {nvml_gpus} GPU{'s' if nvml_gpus > 1 else ''} but TensorFlow sees none"
    if cuda_visible is not None and cuda_visible.strip() in ("", "-1"):
        return f"{seen}: CUDA_VISIBLE_DEVICES={cuda_visible!r} hides them; unset it to use them"
    if cuda_wheel is None:
        return f"{seen}: {GPU_INSTALL}"
    return (
        f"{seen}, with the CUDA wheels installed ({CUDA_WHEEL} {cuda_wheel}): check that the "
        "driver runs this CUDA (nvidia-smi) and read TensorFlow's own lines (trainer.log)"
    )


def partly_seen(nvml_gpus: int, tf_gpus: int, cuda_visible: str | None) -> str | None:
    """One line when TensorFlow sees some of NVML's GPUs but not all, with none hidden on
    purpose (CUDA_VISIBLE_DEVICES unset): a GPU this TensorFlow cannot use, or one in a bad state.
    """
    if cuda_visible is not None or not 0 < tf_gpus < nvml_gpus:
        return None
    return (
        f"NVML sees {nvml_gpus} GPUs but TensorFlow sees {tf_gpus}: nvidia-smi shows which is "
        "missing (its compute capability may be too old for this TensorFlow, or it may need a "
        "reset); --devices picks among the ones TensorFlow sees"
    )


def training_warnings(
    tf_gpus: int, nvml_module: Any = None, env: Mapping[str, str] = os.environ
) -> list[str]:
    """What a trainer records in `run_started` and prints: it trains on the CPU beside GPUs that
    TensorFlow cannot see. GPUs hidden on purpose (CUDA_VISIBLE_DEVICES empty or -1) are not
    warned about, and NVML is read only when TensorFlow sees no GPU."""
    visible = env.get("CUDA_VISIBLE_DEVICES")
    if tf_gpus > 0 or (visible is not None and visible.strip() in ("", "-1")):
        return []
    nvml, _, _ = nvml_facts(nvml_module)
    line = cpu_fallback(len(nvml.gpus), tf_gpus, visible, cuda_wheel_version())
    return [] if line is None else [f"training on the CPU: {line}"]


def problems(facts: Facts) -> list[str]:
    """Each problem as one line with its fix; none means a long run can start."""
    found: list[str | None] = []
    tf = facts.tensorflow
    if tf.error is not None:
        found.append(f"TensorFlow cannot be imported ({tf.error}): {GPU_INSTALL} on a GPU server")
    else:
        found.append(
            cpu_fallback(
                len(facts.nvml.gpus), len(tf.gpus), facts.cuda_visible_devices, facts.cuda_wheel
            )
        )
        found.append(partly_seen(len(facts.nvml.gpus), len(tf.gpus), facts.cuda_visible_devices))
        found.append(_driver_too_old(facts))
    if facts.data_error is not None:
        error = facts.data_error
        found.append(error if error.startswith("CIFAR-10 not found") else f"CIFAR-10: {error}")
    found.append(_folder_problem(facts.models))
    return [line for line in found if line]


def _driver_too_old(facts: Facts) -> str | None:
    """The driver runs an older CUDA major version than TensorFlow was built with."""
    built, runs = _major(facts.tensorflow.cuda), _major(facts.driver_cuda)
    if built is None or runs is None or runs >= built or not facts.nvml.gpus:
        return None
    return (
        f"the NVIDIA driver {facts.driver} runs CUDA {facts.driver_cuda} but TensorFlow was "
        f"built with CUDA {facts.tensorflow.cuda}: install a driver for CUDA {built} "
        "(nvidia-smi shows it)"
    )


def _major(version: str | None) -> int | None:
    head = (version or "").split(".")[0]
    return int(head) if head.isdigit() else None


def _folder_problem(folder: FolderFacts) -> str | None:
    if not folder.writable:
        where = folder.path if folder.exists else f"{folder.path} cannot be created and"
        return (
            f"models folder {where} is not writable ({folder.error}): "
            "pass --models-dir a folder you can write to"
        )
    if folder.free_bytes is not None and folder.free_bytes < RUN_NEEDS_BYTES:
        return (
            f"{gigabytes(folder.free_bytes)} free in {folder.path}: a run needs "
            f"~{gigabytes(RUN_NEEDS_BYTES)}; free some space or pass --models-dir on a larger disk"
        )
    return None


def gigabytes(count: int) -> str:
    """Bytes as "12.3 GB" (decimal, like df -H)."""
    return f"{count / 1e9:.1f} GB"


def fact_lines(facts: Facts) -> list[tuple[str, str]]:
    """(label, value) for every fact, in the order a reader checks them."""
    tf = facts.tensorflow
    nvml = facts.nvml
    if nvml.gpus:
        names = ", ".join(f"{gpu.index}: {gpu.name}" for gpu in nvml.gpus)
        nvml_line = f"{len(nvml.gpus)} ({names})"
    else:
        nvml_line = nvml.unavailable_reason or "no NVIDIA GPU"
    driver = "none" if facts.driver is None else facts.driver
    if facts.driver_cuda is not None:
        driver += f" (runs CUDA up to {facts.driver_cuda})"
    tf_gpus = f"{len(tf.gpus)} ({', '.join(tf.gpus)})" if tf.gpus else "none"
    if facts.cuda_visible_devices is not None:
        tf_gpus += f"; CUDA_VISIBLE_DEVICES={facts.cuda_visible_devices!r}"
    wheel = f"{CUDA_WHEEL} {facts.cuda_wheel}" if facts.cuda_wheel else "not installed"
    if facts.cuda_wheel is None and nvml.gpus:
        wheel += f" ({GPU_INSTALL} brings them)"
    return [
        ("Python", f"{facts.python} ({facts.python_path})"),
        ("TensorFlow", _tensorflow_line(tf)),
        ("NVIDIA driver", driver),
        ("GPUs (NVML)", nvml_line),
        ("GPUs (TensorFlow)", "unknown" if tf.error else tf_gpus),
        ("CUDA wheels", wheel),
        ("CPU bf16", _cpu_line(facts.cpu_flags)),
        ("CIFAR-10", facts.data or "not found"),
        ("models folder", _folder_line(facts.models)),
    ]


def _tensorflow_line(tf: TensorflowFacts) -> str:
    if tf.error is not None:
        return f"cannot be imported ({tf.error})"
    build = f"built with CUDA {tf.cuda}, cuDNN {tf.cudnn}" if tf.cuda else "a CPU-only build"
    return f"{tf.tensorflow}, Keras {tf.keras}; {build}"


def _cpu_line(flags: tuple[str, ...]) -> str:
    if "amx_bf16" in flags or "avx512_bf16" in flags:
        return f"{', '.join(flags)}: mixed_bfloat16 is fast on this CPU"
    return "no avx512_bf16/amx_bf16: the CPU trains in float32"


def _folder_line(folder: FolderFacts) -> str:
    state = "writable" if folder.writable else f"not writable ({folder.error})"
    if not folder.exists:
        state = f"not created yet, {state}"
    free = "" if folder.free_bytes is None else f", {gigabytes(folder.free_bytes)} free"
    return f"{folder.path}: {state}{free}"
