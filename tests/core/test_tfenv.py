"""Which bf16 instructions the CPU has, read from /proc/cpuinfo (it picks the precision)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cifar_tui.core.training import tfenv


@pytest.mark.parametrize(
    ("cpuinfo", "flags"),
    [
        ("flags\t\t: fpu sse avx512f avx512_bf16 amx_bf16 amx_tile\n", ["amx_bf16", "avx512_bf16"]),
        ("flags\t\t: fpu avx512f avx512_bf16 avx512_vnni\n", ["avx512_bf16"]),  # e.g. AMD Zen 4
        ("flags\t\t: fpu sse avx2\n", []),
        ("processor: 0\n", []),  # no flags line (some ARM kernels)
    ],
)
def test_bf16_flags(tmp_path: Path, cpuinfo: str, flags: list[str]) -> None:
    path = tmp_path / "cpuinfo"
    path.write_text(cpuinfo)
    assert tfenv.cpu_bf16_flags(path) == flags
    assert tfenv.cpu_supports_bf16(path) == bool(flags)


def test_an_unreadable_cpuinfo_means_no_bf16(tmp_path: Path) -> None:
    assert tfenv.cpu_bf16_flags(tmp_path / "missing") == []


@pytest.mark.parametrize(
    ("requested", "gpu", "cpu_bf16", "policy"),
    [
        ("auto", True, True, "mixed_float16"),
        ("auto", False, True, "mixed_bfloat16"),
        ("auto", False, False, "float32"),
        ("off", True, True, "float32"),
        ("bf16", False, False, "mixed_bfloat16"),
        ("fp16", False, True, "mixed_float16"),
    ],
)
def test_precision_choice(requested: str, gpu: bool, cpu_bf16: bool, policy: str) -> None:
    assert tfenv.choose_precision(requested, gpu, cpu_bf16) == policy
