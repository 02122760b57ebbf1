"""Start and stop trainer processes (`cifar-tui train`) that outlive the app that launched them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.config_files import save_config
from cifar_tui.core.errors import UserError
from cifar_tui.core.host.priority import at_normal_priority
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.listing import list_runs
from cifar_tui.core.rundir.live import read_log_tail
from cifar_tui.core.rundir.lock import holder_alive, read_lock
from cifar_tui.core.rundir.naming import new_run_name

__all__ = [
    "LaunchedRun",
    "check_launch",
    "launch_log_path",
    "request_stop",
    "running_here",
    "spawn_resume",
    "spawn_training",
    "stop_run",
    "stop_runs",
    "trainer_command",
]


@dataclass
class LaunchedRun:
    """A trainer this app started: its run name, pid and (future) run folder."""

    name: str
    pid: int
    path: Path
    """The run folder; it appears once the trainer has loaded the data."""
    log_path: Path
    """Where the trainer's stdout/stderr go until it logs into the run folder."""
    process: subprocess.Popen[bytes] | None = None
    events_size: int = 0
    """Size of the run's events.jsonl at launch (a resumed run already has events)."""


def launch_log_path(models_dir: Path, name: str) -> Path:
    """The hidden launch log of run `name` (hidden so run listings skip it)."""
    return Path(models_dir) / f".{name}.launch.log"


def trainer_command(args: list[str]) -> list[str]:
    """The argv that runs `cifar-tui` with `args` (tests replace this with a stand-in)."""
    return [sys.executable, "-m", "cifar_tui", *args]


def _common_args(models_dir: Path, data_dir: str | None) -> list[str]:
    args = ["--models-dir", str(Path(models_dir).absolute())]
    return args + (["--data-dir", data_dir] if data_dir else [])


def _spawn(
    args: list[str], models_dir: Path, name: str, keep_fds: tuple[int, ...] = ()
) -> LaunchedRun:
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    log_path = launch_log_path(models_dir, name)
    events_size = _size(RunFolder(models_dir / name).events_path)
    with open(log_path, "ab") as log:
        # A new session: no SIGHUP when the terminal or SSH goes away, and no Ctrl+C from the
        # app's terminal; the trainer stops only when asked (SIGINT via stop_run). Started from
        # a thread with the ordinary scheduling policy: the app's own is SCHED_IDLE (priority.py).
        process = at_normal_priority(
            lambda: subprocess.Popen(
                trainer_command(args),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=keep_fds,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        )
    # Reap it when it exits, or it lingers as a zombie whose pid still "holds" the run lock.
    threading.Thread(target=process.wait, name=f"reap-{process.pid}", daemon=True).start()
    return LaunchedRun(name, process.pid, models_dir / name, log_path, process, events_size)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def spawn_training(
    config: TrainConfig,
    models_dir: Path,
    data_dir: str | None,
    name: str | None = None,
    keep_fds: tuple[int, ...] = (),
) -> LaunchedRun:
    """Start `cifar-tui train` for `config` in its own session.

    The trainer owns the run folder (it creates it once the data is loaded); the config goes
    through a hidden `.<name>.launch.toml` next to it.

    Args:
        config: a valid config (ConfigError otherwise).
        models_dir: the runs folder.
        data_dir: the CIFAR-10 location to pass on (None: the trainer searches).
        name: the run name (default: a fresh date_time_preset name).
        keep_fds: descriptors the trainer inherits (the queue's start claim, see
            core/queue/claims.py).

    Returns:
        The launched run; its folder may not exist yet.
    """
    models_dir = Path(models_dir)
    models_dir.mkdir(parents=True, exist_ok=True)
    name = name or new_run_name(models_dir, config.preset)
    config_path = models_dir / f".{name}.launch.toml"
    save_config(config, config_path)
    args = ["train", "--config", str(config_path.absolute()), "--name", name]
    return _spawn(args + _common_args(models_dir, data_dir), models_dir, name, keep_fds)


def spawn_resume(run_name: str, models_dir: Path, data_dir: str | None) -> LaunchedRun:
    """Start `cifar-tui train --resume RUN` in its own session (see `spawn_training`)."""
    args = ["train", "--resume", run_name, *_common_args(models_dir, data_dir)]
    return _spawn(args, models_dir, run_name)


def check_launch(
    launched: LaunchedRun,
    timeout: float = 1.0,
    poll: float = 0.1,
    stop: threading.Event | None = None,
) -> str | None:
    """Wait up to `timeout` s for a launch to go wrong.

    Watching ends early once the trainer has written its first event: from then on a failure
    is a `failed` event in the run folder, which the monitor shows.

    Args:
        launched: what `spawn_training`/`spawn_resume` returned.
        timeout: seconds to watch; a trainer that is still alive then counts as started.
        poll: seconds between checks.
        stop: set it to stop watching early (e.g. the app is quitting).

    Returns:
        None while the trainer lives (or exited with 0), else one line saying why it died: the
        last line of its launch log.
    """
    process = launched.process
    events = RunFolder(launched.path).events_path
    deadline = time.monotonic() + timeout
    while process is not None:
        code = process.poll()
        if code is not None:
            return None if code == 0 else _failure_line(launched.log_path, code)
        wrote_event = _size(events) > launched.events_size
        if time.monotonic() >= deadline or wrote_event or (stop and stop.is_set()):
            return None
        time.sleep(poll)
    return None


def _failure_line(log_path: Path, code: int) -> str:
    tail = read_log_tail(log_path, lines=1)
    return f"trainer exited with code {code}: {tail[-1].strip() if tail else '(no output)'}"


def request_stop(run: RunFolder) -> int:
    """Ask the run's trainer to checkpoint and stop (SIGINT); the one stop of the CLI and the app.

    A signal reaches only this machine's processes, so a lock that names another host is
    refused rather than sending SIGINT to whatever local process has the same pid.

    Args:
        run: the run folder.

    Returns:
        The pid that was signalled.

    Raises:
        UserError: no live trainer holds the lock (none, or a dead one), or it trains on
            another host (the message says how to stop it there).
    """
    holder = read_lock(run.lock_path)
    here = socket.gethostname()
    if holder is not None and holder["host"] != here:
        host, pid = holder["host"], holder["pid"]
        raise UserError(
            f"run {run.name} trains on host {host} (pid {pid}), not on {here}; "
            f"stop it there: ssh {host} cifar-tui stop {run.name}"
        )
    if holder is None or not holder_alive(holder):
        raise UserError(f"run {run.name} is not training (no live trainer holds its lock)")
    try:
        os.kill(int(holder["pid"]), signal.SIGINT)
    except (ProcessLookupError, PermissionError) as error:  # exited meanwhile; another user's
        raise UserError(
            f"run {run.name}: cannot signal its trainer (pid {holder['pid']}): {error.strerror}"
        ) from None
    return int(holder["pid"])


def stop_run(run: RunFolder) -> bool:
    """`request_stop` for callers that only need to know whether the signal went out.

    Returns:
        True if the signal was sent; False when no live trainer holds the lock here (none, a
        dead one, or one on another host that a signal cannot reach).
    """
    try:
        request_stop(run)
    except UserError:
        return False
    return True


def _starting(launched: LaunchedRun) -> bool:
    return launched.process is not None and launched.process.poll() is None


def running_here(models_dir: Path, launched: Mapping[str, LaunchedRun]) -> list[str]:
    """The runs training on this machine: what quitting the app would leave running.

    Args:
        models_dir: the runs folder.
        launched: trainers the app started, by name (one still loading data has no lock yet).

    Returns:
        Run names: those locked by a live trainer on this host, then launched ones still alive.
    """
    here = socket.gethostname()
    names = [
        run.name
        for run in list_runs(models_dir)
        if run.status == "running"
        and (read_lock(RunFolder(run.path).lock_path) or {}).get("host") == here
    ]
    # A launched trainer without a live lock is either still loading data (no events yet: it
    # counts) or already past its last event and only exiting (it does not).
    starting = [
        name
        for name, run in launched.items()
        if name not in names and _starting(run) and not RunFolder(run.path).events()
    ]
    return names + starting


def stop_runs(names: list[str], models_dir: Path, launched: Mapping[str, LaunchedRun]) -> None:
    """Ask each run's trainer to stop: through its lock, or, not locked yet, its process."""
    for name in names:
        if not stop_run(RunFolder(Path(models_dir) / name)):
            run = launched.get(name)
            if run is not None and run.process is not None and _starting(run):
                run.process.send_signal(signal.SIGINT)
