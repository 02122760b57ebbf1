"""A fake /proc and models folder for GPU process attribution (core/host/gpu_processes.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cifar_tui.core.rundir.folder import LOCK_FILE

HOST = "gpu-server"


def add_process(
    proc: Path,
    pid: int,
    command: list[str],
    uid: int = 0,
    nspid: list[int] | None = None,
    on_gpu: bool = True,
) -> None:
    """/proc/PID with status (Uid, NSpid), cmdline and fd links (/dev/nvidia0 when on a GPU)."""
    folder = proc / str(pid)
    (folder / "fd").mkdir(parents=True)
    spaces = "\t".join(str(p) for p in (nspid or [pid]))
    status = f"Name:\t{Path(command[0]).name[:15]}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n"
    (folder / "status").write_text(status + f"NSpid:\t{spaces}\n")
    (folder / "cmdline").write_bytes(b"\0".join(word.encode() for word in command) + b"\0")
    (folder / "comm").write_text(Path(command[0]).name[:15] + "\n")
    (folder / "fd" / "0").symlink_to("/dev/null")
    if on_gpu:
        (folder / "fd" / "7").symlink_to("/dev/nvidia0")


def add_locked_run(models: Path, name: str, pid: int, host: str = HOST) -> None:
    """A run folder whose trainer.lock names `pid` on `host`."""
    (models / name).mkdir(parents=True)
    lock = {"pid": pid, "host": host, "started": time.time()}
    (models / name / LOCK_FILE).write_text(json.dumps(lock))
