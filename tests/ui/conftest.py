"""Shared UI fixtures: a runs folder of fake runs, a fixed clock/timezone, and the app factory."""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from run_fixtures import write_run
from ui_support import FAILED, FINISHED, FIXED_SYSTEM, INTERRUPTED, RUNNING, STOPPED, quiet_gpu

from cifar_tui.app import CifarApp, make_app


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC, so the runs list's dates are the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`models/` (relative, so paths on screen do not depend on tmp_path) with four ended runs."""
    monkeypatch.chdir(tmp_path)
    models = Path("models")
    write_run(models, FINISHED, "finished", 10, 10, seed=0)
    write_run(models, STOPPED, "stopped", 4, 15, seed=1)
    failed = write_run(models, FAILED, "failed", 2, 3, seed=2)
    failed.log_path.write_text(
        "Epoch 3/3\n2026-11-25 21:16:00 W allocator: ran out of memory trying to allocate 2.1GiB\n"
        "ResourceExhaustedError: OOM when allocating tensor\n"
    )
    write_run(models, INTERRUPTED, "interrupted", 3, 10, seed=3)
    return models


@pytest.fixture
def with_running(models_dir: Path) -> Path:
    """models_dir plus a run whose lock names this test process (so it reads as running).

    Anything that would signal it must be monkeypatched: its "trainer" is pytest itself.
    """
    write_run(models_dir, RUNNING, "running", 5, 10, seed=4)
    return models_dir


@pytest.fixture
def app_factory(models_dir: Path) -> Callable[..., CifarApp]:
    """make_app over models_dir with deterministic GPU/CPU readings (read once, at mount)."""

    def build(**options: Any) -> CifarApp:
        settings: dict[str, Any] = {
            "models_dir": models_dir,
            "gpu_monitor": quiet_gpu(),
            "read_system": lambda: FIXED_SYSTEM,
            "gpu_interval": 3600.0,
        }
        return make_app(**{**settings, **options})

    return build


@pytest.fixture
def snap_compare(
    snap_compare: Callable[..., bool], request: pytest.FixtureRequest
) -> Callable[..., bool]:
    """The plugin's snap_compare, which on a mismatch also fails with the rows of text that differ.

    CI keeps the log but not snapshot_report.html, so a mismatch seen only there must say itself
    what it was.
    """
    from pytest_textual_snapshot import node_to_report_path
    from svg_text import svg_rows_diff

    def compare(*args: Any, **kwargs: Any) -> bool:
        __tracebackhide__ = True
        if snap_compare(*args, **kwargs):
            return True
        report = pickle.loads(node_to_report_path(request.node).read_bytes())
        expected_svg, actual_svg = report[1], report[2]
        raise AssertionError("snapshot mismatch:\n" + svg_rows_diff(expected_svg, actual_svg))

    return compare
