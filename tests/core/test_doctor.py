"""`cifar-tui doctor`: its checks over hand-built fact records, its readers over fakes, and the
real command on this machine."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cifar_archives import write_cifar_archive
from fake_nvml import FakeGpu, FakeNvml, NVMLError_LibraryNotFound

from cifar_tui.core.host.doctor_checks import (
    RUN_NEEDS_BYTES,
    cpu_fallback,
    fact_lines,
    partly_seen,
    problems,
    training_warnings,
)
from cifar_tui.core.host.facts import (
    Facts,
    FolderFacts,
    TensorflowFacts,
    cpu_flags,
    folder_facts,
    gather,
    parse_probe,
    tensorflow_facts,
)
from cifar_tui.core.host.gpu import GpuMonitor, GpuReading, GpuStatus

GPU = GpuReading(0, "NVIDIA H100 80GB HBM3", 0.0, 0, 80 * 2**30, 30.0, 70.0, 700.0)
TF_OK = TensorflowFacts("2.21.0", "3.15.1", "12.5.1", "9", ("/physical_device:GPU:0",))
HEALTHY = Facts(
    python="3.12.3",
    python_path="/srv/venv/bin/python",
    tensorflow=TF_OK,
    nvml=GpuStatus((GPU,)),
    driver="550.54.15",
    driver_cuda="12.4",
    cuda_wheel="9.3.0.75",
    cpu_flags=("avx512_bf16",),
    data="/data/cifar-10-python.tar.gz",
    data_error=None,
    models=FolderFacts(Path("/srv/models"), True, True, None, 500 * 10**9),
    cuda_visible_devices=None,
)
NO_GPU = dataclasses.replace(
    HEALTHY,
    tensorflow=dataclasses.replace(TF_OK, gpus=()),
    nvml=GpuStatus((), "no NVIDIA GPU: NVML library not found (libnvidia-ml.so.1; ...)"),
    driver=None,
    driver_cuda=None,
    cuda_wheel=None,
)


def changed(base: Facts = HEALTHY, **changes: object) -> Facts:
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def two_gpus_tf_blind(**changes: object) -> Facts:
    tf = dataclasses.replace(TF_OK, gpus=())
    return changed(
        nvml=GpuStatus((GPU, dataclasses.replace(GPU, index=1))), tensorflow=tf, **changes
    )


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        pytest.param(HEALTHY, [], id="gpu-server-ready"),
        pytest.param(NO_GPU, [], id="no-gpu-is-a-fact-not-a-problem"),
        pytest.param(
            two_gpus_tf_blind(cuda_wheel=None),
            ["NVML sees 2 GPUs but TensorFlow sees none: pip install -e '.[gpu]'"],
            id="cpu-only-tensorflow",
        ),
        pytest.param(
            two_gpus_tf_blind(),
            [
                "NVML sees 2 GPUs but TensorFlow sees none, with the CUDA wheels installed "
                "(nvidia-cudnn-cu12 9.3.0.75): check that the driver runs this CUDA (nvidia-smi) "
                "and read TensorFlow's own lines (trainer.log)"
            ],
            id="cuda-wheels-but-no-gpu",
        ),  # fmt: skip
        pytest.param(
            two_gpus_tf_blind(cuda_visible_devices=""),
            [
                "NVML sees 2 GPUs but TensorFlow sees none: CUDA_VISIBLE_DEVICES='' hides them; "
                "unset it to use them"
            ],
            id="hidden-by-cuda-visible-devices",
        ),  # fmt: skip
        pytest.param(
            changed(driver="470.82", driver_cuda="11.4"),
            [
                "the NVIDIA driver 470.82 runs CUDA 11.4 but TensorFlow was built with "
                "CUDA 12.5.1: install a driver for CUDA 12 (nvidia-smi shows it)"
            ],
            id="driver-too-old",
        ),  # fmt: skip
        pytest.param(changed(driver_cuda="12.2"), [], id="older-minor-cuda-is-fine"),
        pytest.param(
            changed(NO_GPU, tensorflow=TensorflowFacts(error="No module named 'tensorflow'")),
            [
                "TensorFlow cannot be imported (No module named 'tensorflow'): "
                "pip install -e '.[gpu]' on a GPU server"
            ],
            id="no-tensorflow",
        ),  # fmt: skip
        pytest.param(
            changed(data=None, data_error="CIFAR-10 not found: looked in X; pass --data-dir"),
            ["CIFAR-10 not found: looked in X; pass --data-dir"],
            id="no-data",
        ),
        pytest.param(
            changed(data=None, data_error="--data-dir /d holds no CIFAR-10; expected A there"),
            ["CIFAR-10: --data-dir /d holds no CIFAR-10; expected A there"],
            id="data-dir-without-data",
        ),
        pytest.param(
            changed(models=FolderFacts(Path("/ro"), True, False, "Read-only file system", 10**12)),
            [
                "models folder /ro is not writable (Read-only file system): pass --models-dir a "
                "folder you can write to"
            ],
            id="read-only-models",
        ),  # fmt: skip
        pytest.param(
            changed(models=FolderFacts(Path("/x/m"), False, False, "/x is not a folder")),
            [
                "models folder /x/m cannot be created and is not writable (/x is not a folder): "
                "pass --models-dir a folder you can write to"
            ],
            id="models-cannot-be-created",
        ),  # fmt: skip
        pytest.param(
            changed(models=FolderFacts(Path("/new"), False, True, None, 10**11)),
            [],
            id="models-created-on-first-run",
        ),
        pytest.param(
            changed(models=FolderFacts(Path("/full"), True, True, None, 300_000_000)),
            [
                "0.3 GB free in /full: a run needs ~1.0 GB; free some space or pass --models-dir "
                "on a larger disk"
            ],
            id="disk-nearly-full",
        ),  # fmt: skip
    ],
)
def test_each_problem_is_one_line_with_its_fix(facts: Facts, expected: list[str]) -> None:
    assert problems(facts) == expected


def test_problems_are_listed_together() -> None:
    facts = two_gpus_tf_blind(
        cuda_wheel=None,
        data=None,
        data_error="CIFAR-10 not found: get it",
        models=FolderFacts(Path("/m"), True, True, None, RUN_NEEDS_BYTES - 1),
    )
    found = problems(facts)
    assert len(found) == 3
    assert [line.split(" ")[0] for line in found] == ["NVML", "CIFAR-10", "1.0"]


@pytest.mark.parametrize(
    ("nvml", "tf", "visible", "expected"),
    [
        pytest.param(
            4, 2, None, "NVML sees 4 GPUs but TensorFlow sees 2: nvidia-smi", id="two-of-4"
        ),
        pytest.param(4, 2, "0,1", None, id="hidden-on-purpose"),
        pytest.param(2, 2, None, None, id="all-seen"),
        pytest.param(2, 0, None, None, id="none-seen-is-cpu-fallbacks-line"),
        pytest.param(0, 0, None, None, id="no-gpu"),
    ],
)
def test_some_gpus_unseen(nvml: int, tf: int, visible: str | None, expected: str | None) -> None:
    line = partly_seen(nvml, tf, visible)
    assert (line is None) == (expected is None)
    assert expected is None or (line or "").startswith(expected)


@pytest.mark.parametrize(
    ("nvml", "tf", "visible", "expected"),
    [
        pytest.param(0, 0, None, None, id="no-gpu"),
        pytest.param(1, 1, None, None, id="on-the-gpu"),
        pytest.param(4, 2, None, None, id="some-gpus-seen"),
        pytest.param(1, 0, None, "NVML sees 1 GPU but", id="one-gpu-unseen"),
        pytest.param(2, 0, "-1", "CUDA_VISIBLE_DEVICES='-1' hides them", id="hidden"),
        pytest.param(2, 0, "0", "pip install", id="visible-but-unseen"),
    ],
)
def test_cpu_fallback(nvml: int, tf: int, visible: str | None, expected: str | None) -> None:
    line = cpu_fallback(nvml, tf, visible, None)
    assert (line is None) == (expected is None)
    assert expected is None or expected in (line or "")


def test_fact_lines_on_a_gpu_server() -> None:
    lines = dict(fact_lines(changed(cuda_visible_devices="0")))
    assert lines["Python"] == "3.12.3 (/srv/venv/bin/python)"
    assert lines["TensorFlow"] == "2.21.0, Keras 3.15.1; built with CUDA 12.5.1, cuDNN 9"
    assert lines["NVIDIA driver"] == "550.54.15 (runs CUDA up to 12.4)"
    assert lines["GPUs (NVML)"] == "1 (0: NVIDIA H100 80GB HBM3)"
    assert lines["GPUs (TensorFlow)"] == "1 (/physical_device:GPU:0); CUDA_VISIBLE_DEVICES='0'"
    assert lines["CUDA wheels"] == "nvidia-cudnn-cu12 9.3.0.75"
    assert lines["CPU bf16"] == "avx512_bf16: mixed_bfloat16 is fast on this CPU"
    assert lines["models folder"] == "/srv/models: writable, 500.0 GB free"


def test_fact_lines_without_a_gpu_or_tensorflow() -> None:
    facts = changed(
        NO_GPU,
        tensorflow=TensorflowFacts(error="No module named 'tensorflow'"),
        cpu_flags=(),
        models=FolderFacts(Path("/new"), False, True, None, None),
    )
    lines = dict(fact_lines(facts))
    assert lines["GPUs (NVML)"].startswith("no NVIDIA GPU: NVML library not found")
    assert lines["NVIDIA driver"] == "none"
    assert lines["TensorFlow"] == "cannot be imported (No module named 'tensorflow')"
    assert lines["GPUs (TensorFlow)"] == "unknown"
    assert lines["CUDA wheels"] == "not installed"
    assert lines["CPU bf16"] == "no avx512_bf16/amx_bf16: the CPU trains in float32"
    assert lines["models folder"] == "/new: not created yet, writable"


def test_gpus_unseen_by_tensorflow_name_the_gpu_extra() -> None:
    assert dict(fact_lines(two_gpus_tf_blind(cuda_wheel=None)))["CUDA wheels"] == (
        "not installed (pip install -e '.[gpu]' brings them)"
    )


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param("fpu sse2 avx2", (), id="none"),
        pytest.param("avx512f avx512_bf16 avx2", ("avx512_bf16",), id="avx512-bf16"),
        pytest.param(
            "amx_tile amx_bf16 avx512_bf16",
            ("avx512_bf16", "amx_bf16", "amx_tile"),
            id="sapphire-rapids",
        ),
    ],
)
def test_cpu_flags(tmp_path: Path, flags: str, expected: tuple[str, ...]) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\n")
    assert cpu_flags(cpuinfo) == expected


def test_cpu_flags_unreadable(tmp_path: Path) -> None:
    assert cpu_flags(tmp_path / "missing") == ()
    (tmp_path / "no-flags").write_text("processor\t: 0\n")
    assert cpu_flags(tmp_path / "no-flags") == ()


def test_folder_facts_test_write_leaves_nothing(tmp_path: Path) -> None:
    facts = folder_facts(tmp_path)
    assert (facts.exists, facts.writable, facts.error) == (True, True, None)
    assert facts.free_bytes is not None and facts.free_bytes > 0
    assert list(tmp_path.iterdir()) == []


def test_folder_facts_of_a_folder_not_created_yet(tmp_path: Path) -> None:
    facts = folder_facts(tmp_path / "models" / "deeper")
    assert (facts.exists, facts.writable) == (False, True)
    assert list(tmp_path.iterdir()) == []  # the doctor creates nothing


def test_folder_facts_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    facts = folder_facts(tmp_path / "file" / "models")
    assert (facts.exists, facts.writable) == (False, False)
    assert facts.error == f"{tmp_path / 'file'} is not a folder"


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc")
def test_folder_facts_of_a_folder_nobody_can_write() -> None:
    facts = folder_facts(Path("/proc"))  # not writable even for root
    assert (facts.exists, facts.writable) == (True, False)
    assert facts.error


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            '{"tensorflow": "2.21.0", "keras": "3.15.1", "cuda": "12.5.1", "cudnn": "9", '
            '"gpus": ["/physical_device:GPU:0"]}',
            TF_OK,
            id="gpu-build",
        ),
        pytest.param(
            '{"tensorflow": "2.21.0", "keras": "3.12.4", "cuda": "", "gpus": []}',
            TensorflowFacts("2.21.0", "3.12.4", None, None, ()),
            id="cpu-build",
        ),
        pytest.param(
            "[1, 2]",
            TensorflowFacts(error="unexpected output from the TensorFlow probe: [1, 2]"),
            id="not-an-object",
        ),
        pytest.param(
            "I0000 some log",
            TensorflowFacts(error="unexpected output from the TensorFlow probe: I0000 some log"),
            id="not-json",
        ),
    ],
)
def test_parse_probe(line: str, expected: TensorflowFacts) -> None:
    assert parse_probe(line) == expected


def test_a_tensorflow_that_does_not_import_is_one_line(tmp_path: Path) -> None:
    python = tmp_path / "python"
    python.write_text(
        "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\n"
        "echo \"ModuleNotFoundError: No module named 'tensorflow'\" >&2\nexit 1\n"
    )
    python.chmod(0o755)
    facts = tensorflow_facts(str(python))
    assert facts == TensorflowFacts(error="ModuleNotFoundError: No module named 'tensorflow'")
    assert tensorflow_facts(str(tmp_path / "none")).error == (
        f"could not start {tmp_path / 'none'} (No such file or directory)"
    )


def test_driver_versions_from_nvml() -> None:
    nvml = FakeNvml([FakeGpu()])
    with GpuMonitor(nvml) as monitor:
        assert monitor.driver_versions() == ("550.54.15", "12.4")
        nvml.driver_version, nvml.cuda_driver_version = None, None  # NotSupported
        assert monitor.driver_versions() == (None, None)
    no_nvml = GpuMonitor(FakeNvml(init_error=NVMLError_LibraryNotFound()))
    assert no_nvml.driver_versions() == (None, None)


def test_gather_reads_every_fact(tmp_path: Path) -> None:
    archive = write_cifar_archive(tmp_path / "data", per_batch=10, test_size=10)
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t\t: avx2 amx_bf16 amx_tile\n")
    nvml = FakeNvml.with_gpus(2)
    facts = gather(
        str(tmp_path / "data"),
        tmp_path / "models",
        nvml_module=nvml,
        cpuinfo=cpuinfo,
        env={"CUDA_VISIBLE_DEVICES": "1"},
        probe=TF_OK,
    )
    assert [gpu.name for gpu in facts.nvml.gpus] == ["Fake GPU 0", "Fake GPU 1"]
    assert (facts.driver, facts.driver_cuda) == ("550.54.15", "12.4")
    assert nvml.shutdown_calls == 1
    assert facts.cpu_flags == ("amx_bf16", "amx_tile")
    assert (facts.data, facts.data_error) == (str(archive.resolve()), None)
    assert facts.models.path == tmp_path / "models" and facts.models.writable
    assert facts.cuda_visible_devices == "1"
    assert facts.tensorflow == TF_OK


def test_gather_names_missing_data(tmp_path: Path) -> None:
    facts = gather(
        None, tmp_path, nvml_module=FakeNvml(), env={"KERAS_HOME": str(tmp_path)}, probe=TF_OK
    )
    assert facts.data is None
    assert (facts.data_error or "").startswith("CIFAR-10 not found")
    assert facts.nvml.unavailable_reason == "no NVIDIA GPU: NVML found 0 devices"


def doctor(*args: str | Path) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "cifar_tui", "doctor", *map(str, args)],
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
        env={**os.environ, "CIFAR10_DIR": ""},
    )  # fmt: skip
    return done, time.monotonic() - started


def test_doctor_on_this_machine(tmp_path: Path) -> None:
    """The real command: the real TensorFlow in a child, the real NVML (none here)."""
    write_cifar_archive(tmp_path / "data", per_batch=10, test_size=10)
    done, seconds = doctor("--data-dir", tmp_path / "data", "--models-dir", tmp_path / "models")
    if GpuMonitor().read().gpus:
        pytest.skip("this machine has a GPU: the exit code depends on its TensorFlow")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("GPUs (NVML)") and "no NVIDIA GPU" in line for line in lines)
    assert any(line.startswith("TensorFlow") and "Keras" in line for line in lines)
    assert lines[-1].startswith("no problems found")
    assert done.stderr == ""
    assert not (tmp_path / "models").exists()  # the doctor creates nothing
    assert seconds < 60


def test_doctor_exits_1_on_a_problem(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done, _ = doctor("--data-dir", tmp_path / "empty", "--models-dir", tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    problem = f"  - CIFAR-10: --data-dir {tmp_path / 'empty'} holds no CIFAR-10; expected"
    assert problem in done.stdout
    assert "1 problem (" in done.stdout


@pytest.mark.parametrize(
    ("nvml", "tf_gpus", "env", "expected"),
    [
        pytest.param(FakeNvml(), 0, {}, [], id="no-gpu"),
        pytest.param(FakeNvml(init_error=NVMLError_LibraryNotFound()), 0, {}, [], id="no-driver"),
        pytest.param(FakeNvml.with_gpus(2), 2, {}, [], id="on-its-gpus"),
        pytest.param(
            FakeNvml.with_gpus(2), 0, {"CUDA_VISIBLE_DEVICES": ""}, [], id="gpus-hidden-on-purpose"
        ),
        pytest.param(
            FakeNvml.with_gpus(1),
            0,
            {},
            [
                "training on the CPU: NVML sees 1 GPU but TensorFlow sees none: "
                "pip install -e '.[gpu]'"
            ],
            id="silent-cpu-fallback",
        ),  # fmt: skip
    ],
)
def test_training_warnings(
    nvml: FakeNvml,
    tf_gpus: int,
    env: dict[str, str],
    expected: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("cifar_tui.core.host.doctor_checks.cuda_wheel_version", lambda: None)
    assert training_warnings(tf_gpus, nvml, env) == expected
