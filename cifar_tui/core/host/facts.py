"""What `cifar-tui doctor` reads about this machine, as one plain record (doctor_checks judges it).

TensorFlow is imported once, in a child process (`tensorflow_facts`), so neither the doctor nor
the app pays for it in-process. Every reading is injectable: the checks are table-tested on
records built by hand, and the readers on fake NVML modules, fake /proc/cpuinfo files and
folders of every kind.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from cifar_tui.core.data.errors import DataError
from cifar_tui.core.data.locate import find_cifar10
from cifar_tui.core.host.gpu import GpuMonitor, GpuStatus

CPU_FLAGS = ("avx512_bf16", "amx_bf16", "amx_tile")
"""The /proc/cpuinfo flags that make bfloat16 fast on the CPU (AVX-512 BF16, AMX)."""

CUDA_WHEEL = "nvidia-cudnn-cu12"
"""The pip package that `tensorflow[and-cuda]` (the `gpu` extra) installs and plain TF lacks."""

PROBE_TIMEOUT_S = 300.0
"""A first TensorFlow import with CUDA on a cold disk can take a minute."""

_PROBE = """\
import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import tensorflow as tf
import keras
info = dict(tf.sysconfig.get_build_info())
print(json.dumps({
    "tensorflow": tf.__version__, "keras": keras.__version__,
    "cuda": info.get("cuda_version"), "cudnn": info.get("cudnn_version"),
    "gpus": [device.name for device in tf.config.list_physical_devices("GPU")],
}))
"""


@dataclass(frozen=True)
class TensorflowFacts:
    """What the child process that imported TensorFlow reported, or why it could not."""

    tensorflow: str | None = None
    keras: str | None = None
    cuda: str | None = None
    """The CUDA version TensorFlow was built with (None: a CPU-only build)."""
    cudnn: str | None = None
    gpus: tuple[str, ...] = ()
    """The GPUs TensorFlow sees, e.g. "/physical_device:GPU:0"."""
    error: str | None = None
    """One line: why TensorFlow could not be imported (the other fields are then None)."""


@dataclass(frozen=True)
class FolderFacts:
    """The models folder: whether a run can be written there, and the room left."""

    path: Path
    exists: bool
    writable: bool
    error: str | None = None
    """Why a test write failed."""
    free_bytes: int | None = None


@dataclass(frozen=True)
class Facts:
    """Everything `cifar-tui doctor` shows and judges."""

    python: str
    python_path: str
    tensorflow: TensorflowFacts
    nvml: GpuStatus
    driver: str | None
    driver_cuda: str | None
    """The newest CUDA the driver runs, e.g. "12.4"."""
    cuda_wheel: str | None
    """The installed version of CUDA_WHEEL, None when it is not installed."""
    cpu_flags: tuple[str, ...]
    """Which of CPU_FLAGS the CPU has."""
    data: str | None
    data_error: str | None
    models: FolderFacts
    cuda_visible_devices: str | None


def tensorflow_facts(
    python: str = sys.executable, timeout: float = PROBE_TIMEOUT_S
) -> TensorflowFacts:
    """Import TensorFlow in a child `python` and read its versions, build and GPUs."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    try:
        done = subprocess.run(
            [python, "-c", _PROBE], capture_output=True, text=True, timeout=timeout, env=env,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return TensorflowFacts(error=f"importing TensorFlow took over {timeout:.0f} s")
    except OSError as error:
        return TensorflowFacts(error=f"could not start {python} ({error.strerror})")
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        errors = done.stderr.strip().splitlines()
        last = errors[-1] if errors else f"exit code {done.returncode}"
        return TensorflowFacts(error=" ".join(last.split())[:300])
    return parse_probe(lines[-1])


def parse_probe(line: str) -> TensorflowFacts:
    """The child's JSON line as facts; a line that is not what the probe prints is an error."""
    try:
        raw: Any = json.loads(line)
    except ValueError:
        raw = None
    if not isinstance(raw, dict):
        return TensorflowFacts(error=f"unexpected output from the TensorFlow probe: {line[:200]}")

    def text(key: str) -> str | None:
        value = raw.get(key)
        return str(value) if value not in (None, "") else None

    gpus = raw.get("gpus")
    return TensorflowFacts(
        tensorflow=text("tensorflow"),
        keras=text("keras"),
        cuda=text("cuda"),
        cudnn=text("cudnn"),
        gpus=tuple(str(gpu) for gpu in gpus) if isinstance(gpus, list) else (),
    )


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str, ...]:
    """Which of CPU_FLAGS the first CPU's `flags` line of `cpuinfo` lists (none if unreadable)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return ()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return tuple(flag for flag in CPU_FLAGS if flag in flags)
    return ()


def cuda_wheel_version() -> str | None:
    """The installed version of the CUDA wheel the `gpu` extra brings, None without it."""
    try:
        return metadata.version(CUDA_WHEEL)
    except metadata.PackageNotFoundError:
        return None


def folder_facts(path: Path) -> FolderFacts:
    """Test-write a file in `path` (or, if it does not exist yet, in the folder that would hold
    it) and read the free space there; nothing is created or left behind."""
    exists = path.is_dir()
    probe = path if exists else next((p for p in path.absolute().parents if p.exists()), None)
    if probe is None or not probe.is_dir():
        return FolderFacts(path, exists, False, f"{probe} is not a folder")
    try:
        free: int | None = shutil.disk_usage(probe).free
    except OSError:
        free = None
    try:
        handle, name = tempfile.mkstemp(dir=probe, prefix=".cifar-tui-doctor-")
        os.close(handle)
        os.unlink(name)
    except OSError as error:
        return FolderFacts(path, exists, False, error.strerror or str(error), free)
    return FolderFacts(path, exists, True, None, free)


def nvml_facts(nvml_module: Any = None) -> tuple[GpuStatus, str | None, str | None]:
    """The GPUs NVML sees, the driver's version and the newest CUDA it runs."""
    with GpuMonitor(nvml_module) as monitor:
        return (monitor.read(), *monitor.driver_versions())


def gather(
    data_dir: str | None,
    models_dir: Path,
    *,
    nvml_module: Any = None,
    cpuinfo: Path = Path("/proc/cpuinfo"),
    env: Mapping[str, str] = os.environ,
    probe: TensorflowFacts | None = None,
) -> Facts:
    """Read every fact; `probe` stands in for the TensorFlow child process (tests)."""
    nvml, driver, driver_cuda = nvml_facts(nvml_module)
    try:
        data, data_error = str(find_cifar10(data_dir, env=env).resolve()), None
    except DataError as error:
        data, data_error = None, str(error)
    return Facts(
        python=platform.python_version(),
        python_path=sys.executable,
        tensorflow=probe if probe is not None else tensorflow_facts(),
        nvml=nvml,
        driver=driver,
        driver_cuda=driver_cuda,
        cuda_wheel=cuda_wheel_version(),
        cpu_flags=cpu_flags(cpuinfo),
        data=data,
        data_error=data_error,
        models=folder_facts(models_dir),
        cuda_visible_devices=env.get("CUDA_VISIBLE_DEVICES"),
    )
