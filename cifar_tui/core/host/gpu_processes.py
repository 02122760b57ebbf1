"""Whose processes are on each GPU: our trainers by run name, others by pid, user and command.

NVML lists each GPU's processes by pid (core/host/gpu.py). A trainer is found through the pid in
its run's trainer.lock (same host only). Everything else about a process is read from /proc,
whose root is injectable so tests can build a fake one.

Inside a container NVML may report host pids. Where /proc is the host's (or an outer
namespace's), /proc/PID/status of the host pid exists and its NSpid line lists the pid in each
namespace down to the process's own: the last entry is the pid a trainer wrote in its lock. Where
the container has its own /proc, a host pid is not there, or names another process (one that has
no NVIDIA device open); such a pid is shown as "not visible in this container".
"""

from __future__ import annotations

import contextlib
import functools
import os
import pwd
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cifar_tui.core.host.gpu import GpuProcess, GpuStatus
from cifar_tui.core.rundir.folder import LOCK_FILE
from cifar_tui.core.rundir.lock import read_lock

__all__ = ["ProcessLabel", "ProcessNamer", "in_container", "trainer_pids"]

COMMAND_CHARS = 60
"""A command line is cut to this many characters (the pane cuts it again to its width)."""


@dataclass(frozen=True)
class ProcessLabel:
    """One process on a GPU, as the GPU pane names it."""

    pid: int
    """As NVML reports it (a host pid inside a container)."""
    memory_bytes: int | None
    run: str | None = None
    """The run whose trainer it is (its lock names the pid)."""
    user: str | None = None
    command: str | None = None
    visible: bool = True
    """False: no such process in this pid namespace (a host pid seen from a container)."""
    in_container: bool = False

    def describe(self) -> str:
        """What the pane says: "run NAME", "pid 1234 alice python x.py", or for a pid not in
        /proc "host pid 1234 (not in this container)" ("pid 1234 (not visible)" outside one)."""
        if self.run is not None:
            return f"run {self.run}"
        if not self.visible:
            if self.in_container:
                return f"host pid {self.pid} (not in this container)"
            return f"pid {self.pid} (not visible)"
        parts = [f"pid {self.pid}", self.user or "?", self.command or "?"]
        return " ".join(parts)


def in_container(proc_root: Path = Path("/proc"), root: Path = Path("/")) -> bool:
    """Docker, Podman, Kubernetes or LXC, by their marker files or PID 1's cgroup."""
    if (root / ".dockerenv").exists() or (root / "run/.containerenv").exists():
        return True
    try:
        cgroup = (proc_root / "1/cgroup").read_text(errors="replace")
    except OSError:
        return False
    return any(word in cgroup for word in ("docker", "kubepods", "containerd", "lxc", "libpod"))


def trainer_pids(models_dir: Path, host: str) -> dict[int, str]:
    """pid -> run name for every run folder whose trainer.lock was taken on `host`."""
    found: dict[int, str] = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir(models_dir):
            if entry.is_dir(follow_symlinks=False):
                info = read_lock(Path(entry.path) / LOCK_FILE)
                if info is not None and info["host"] == host:
                    found[int(info["pid"])] = entry.name
    return found


@functools.lru_cache(maxsize=256)
def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


class ProcessNamer:
    """Labels every GPU's processes; one call per reading, in the GPU pane's reading thread."""

    def __init__(
        self,
        models_dir: Path | None,
        proc_root: Path = Path("/proc"),
        *,
        host: Callable[[], str] = socket.gethostname,
        container: bool | None = None,
    ) -> None:
        """Args:
        models_dir: where run folders (and their locks) are; None names no run.
        proc_root: /proc, or a fake one.
        host: this machine's name, as locks record it.
        container: whether we run in a container (None: detect it).
        """
        self._models_dir = models_dir
        self._proc = proc_root
        self._host = host
        self._container = in_container(proc_root) if container is None else container

    def label(self, status: GpuStatus) -> dict[int, tuple[ProcessLabel, ...]]:
        """GPU index -> its processes (largest memory first); GPUs NVML cannot list are left out."""
        if not any(gpu.processes for gpu in status.gpus):
            return {}
        runs = trainer_pids(self._models_dir, self._host()) if self._models_dir else {}
        labels: dict[int, tuple[ProcessLabel, ...]] = {}
        for gpu in status.gpus:
            if gpu.processes is None:
                continue
            named = [self._label(process, runs) for process in gpu.processes]
            named.sort(key=lambda label: -(label.memory_bytes or 0))
            labels[gpu.index] = tuple(named)
        return labels

    def _label(self, process: GpuProcess, runs: dict[int, str]) -> ProcessLabel:
        pid, memory = process.pid, process.memory_bytes
        status = self._read(pid, "status")
        if status is None or (self._container and self._clearly_not_on_gpu(pid)):
            return ProcessLabel(pid, memory, visible=False, in_container=self._container)
        local = _nspid(status) or pid  # the pid in its own namespace, as its lock has it
        if local in runs:
            return ProcessLabel(pid, memory, runs[local])
        return ProcessLabel(pid, memory, None, _uid_name(status), self._command(pid))

    def _read(self, pid: int, name: str) -> str | None:
        try:
            return (self._proc / str(pid) / name).read_text(errors="replace")
        except OSError:
            return None

    def _command(self, pid: int) -> str | None:
        cmdline = self._read(pid, "cmdline")
        words = cmdline.split("\0") if cmdline else []
        text = " ".join(word for word in words if word)
        if not text:  # a kernel thread, or no rights: the short name instead
            text = (self._read(pid, "comm") or "").strip()
        return text[:COMMAND_CHARS] or None

    def _clearly_not_on_gpu(self, pid: int) -> bool:
        """A process we may inspect that has no /dev/nvidia* open: a namesake of a host pid."""
        fd_dir = self._proc / str(pid) / "fd"
        try:
            links = [os.readlink(entry.path) for entry in os.scandir(fd_dir)]
        except OSError:
            return False  # another user's process: cannot tell, so take it as the one
        return not any(link.startswith("/dev/nvidia") for link in links)


def _nspid(status: str) -> int | None:
    """The last entry of the NSpid line: the pid in the process's own (innermost) namespace."""
    for line in status.splitlines():
        if line.startswith("NSpid:"):
            fields = line.split()[1:]
            return int(fields[-1]) if fields and fields[-1].isdecimal() else None
    return None


def _uid_name(status: str) -> str | None:
    for line in status.splitlines():
        if line.startswith("Uid:"):
            fields = line.split()
            return _user_name(int(fields[1])) if len(fields) > 1 and fields[1].isdecimal() else None
    return None
