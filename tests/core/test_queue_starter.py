"""What the runner makes of a run folder a killed trainer left before its run began."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from cifar_tui.core.queue import starter
from cifar_tui.core.rundir.folder import RunFolder

DEAD_LOCK = json.dumps({"pid": 2**22 + 7, "host": socket.gethostname(), "started": 1.0})
LIVE_LOCK = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()})


@pytest.mark.parametrize(
    ("files", "leftover"),
    [
        ({}, True),  # killed right after creating the folder
        ({"trainer.lock": DEAD_LOCK}, True),
        ({"trainer.lock": DEAD_LOCK, ".config.toml.0a1b2c3d.tmp": "half"}, True),
        ({".trainer.lock.123.456.tmp": DEAD_LOCK}, True),
        ({"trainer.lock": DEAD_LOCK, "trainer.log": "Epoch 1"}, True),
        ({"trainer.lock": LIVE_LOCK}, False),  # a live trainer is in it
        ({"trainer.lock": DEAD_LOCK, "config.toml": 'preset = "fast"'}, False),  # a run began
        ({"events.jsonl": "{}\n"}, False),
        ({"notes.txt": "mine"}, False),  # a user's folder
        ({".hidden/": ""}, False),  # a folder inside: not a trainer's temp file
    ],
)
def test_a_dead_start_is_recognised(tmp_path: Path, files: dict[str, str], leftover: bool) -> None:
    folder = RunFolder(tmp_path / "run")
    folder.path.mkdir()
    for name, text in files.items():
        if name.endswith("/"):
            (folder.path / name).mkdir()
        else:
            (folder.path / name).write_text(text)
    assert starter._leftover_of_a_dead_start(folder) is leftover
    starter._remove_dead_start(folder)
    assert folder.path.exists() is not leftover
