"""`cifar-tui queue add` as a user types it, with the real trainer: two tiny runs, one after the
other on a CPU, that end finished with nobody watching."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from written_events import raw_events

from cifar_tui.core.queue import store
from cifar_tui.core.queue.paths import runner_lock_path
from cifar_tui.core.queue.runner import GPUS_ENV, POLL_ENV, TRAINER_ENV
from cifar_tui.core.rundir.lock import lock_holder_alive

TINY = ["--preset", "quick", "--train-size", "0", "--batch-size", "50", "--epochs", "1",
        "--mixed-precision", "off"]  # fmt: skip


def _ended(events: list[dict]) -> bool:
    return bool(events) and events[-1]["type"] in ("finished", "failed")


@pytest.mark.slow
def test_two_queued_tiny_runs_train_to_the_end(cifar_archive: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    env = {**os.environ, "CIFAR_TUI_OFFLINE": "1", POLL_ENV: "0.2", GPUS_ENV: "0"}
    env.pop(TRAINER_ENV, None)
    for name in ("first", "second"):
        added = subprocess.run(
            [sys.executable, "-m", "cifar_tui", "queue", "add", *TINY, "--name", name,
             "--data-dir", str(cifar_archive), "--models-dir", str(models)],
            capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert f"queued {name}" in added.stdout
    deadline = time.monotonic() + 400
    while store.queued(models) or lock_holder_alive(runner_lock_path(models)):
        assert time.monotonic() < deadline, (models / ".queue" / "runner.log").read_text()
        time.sleep(0.5)
    ends = []
    for name in ("first", "second"):
        deadline = time.monotonic() + 240  # the queue is empty once both started
        while not _ended(events := raw_events(models / name / "events.jsonl")):
            assert time.monotonic() < deadline, f"{name} did not finish"
            time.sleep(0.5)
        assert events[-1]["type"] == "finished", events[-1]
        ends.append((events[0]["time"], events[-1]["time"]))
    assert ends[1][0] >= ends[0][1]  # one at a time on a CPU
    log = (models / ".queue" / "runner.log").read_text()
    assert "started first" in log and "started second" in log and "queue empty" in log
