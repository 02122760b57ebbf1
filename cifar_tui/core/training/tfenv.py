"""Ready the process for TensorFlow: quiet logs, stderr to a file, GPU memory growth, precision."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, TextIO

# The CPU flags that make bfloat16 matmuls/convolutions fast in oneDNN (AMX tiles or AVX-512 BF16).
_BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def quiet_tensorflow_logs() -> None:
    """Hide TensorFlow's C++ INFO/WARNING chatter; must run before `import tensorflow`."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def redirect_stderr_to(log_path: Path) -> TextIO:
    """Send file descriptor 2 (where TensorFlow's C++ code writes) to `log_path`, appending.

    Returns:
        A text stream on the original stderr, for the one-line messages meant for the user.
    """
    sys.stderr.flush()
    original_fd = os.dup(2)
    log_fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log_fd, 2)
    os.close(log_fd)
    user_stderr = os.fdopen(original_fd, "w", buffering=1)
    # Python-level warnings and tracebacks go to the log too; the user sees only our lines.
    sys.stderr = os.fdopen(os.dup(2), "w", buffering=1)
    return user_stderr


def cpu_supports_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU has AMX-BF16 or AVX512-BF16 (mixed_bfloat16 is faster: BENCHMARKS.md)."""
    return bool(cpu_bf16_flags(cpuinfo))


def cpu_bf16_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> list[str]:
    """Which of the bf16 flags ("amx_bf16", "avx512_bf16") the CPU has, in that order."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            return [flag for flag in _BF16_CPU_FLAGS if flag in flags]
    return []


def enable_gpu_memory_growth(tf: Any) -> list[str]:
    """Let TensorFlow take GPU memory as needed (else NVML shows every GPU 100% full).

    Must run before any op touches a GPU. Returns the names of the GPUs found.
    """
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)
    return [gpu.name for gpu in gpus]


def choose_precision(requested: str, has_gpu: bool, cpu_bf16: bool) -> str:
    """Map the config's mixed_precision choice to a Keras dtype policy name.

    "auto" picks fp16 on GPUs (tensor cores), bf16 on CPUs with AMX/AVX512-BF16, else float32.
    """
    if requested == "off":
        return "float32"
    if requested == "bf16":
        return "mixed_bfloat16"
    if requested == "fp16":
        return "mixed_float16"
    if has_gpu:
        return "mixed_float16"
    return "mixed_bfloat16" if cpu_bf16 else "float32"


def import_tensorflow_quietly() -> Any:
    """Import TensorFlow with fd 2 silenced (for short verbs like `evaluate` whose stderr is the
    user's terminal): CUDA probing and absl print before any log level applies."""
    quiet_tensorflow_logs()
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # the CUDA probe prints here, not at import
        enable_gpu_memory_growth(tf)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tf
