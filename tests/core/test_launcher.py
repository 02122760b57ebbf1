"""core/launcher: trainers start in their own session, report early deaths, and stop on SIGINT."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from run_fixtures import write_run

from cifar_tui.core.config_files import load_config
from cifar_tui.core.errors import UserError
from cifar_tui.core.host import launcher
from cifar_tui.core.presets import preset
from cifar_tui.core.rundir.folder import RunFolder

# Prints "ready" once its SIGINT handling is installed, so a test can signal it reliably. It
# installs Python's default handler itself: a pytest started with `&` from a script inherits
# SIGINT ignored (as every background job of a non-interactive shell does) and so would it.
SLEEPER = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "print('ready', flush=True); time.sleep(30)",
]


def _wait_ready(tmp_path: Path, name: str) -> None:
    """Until the sleeper says "ready" (a SIGINT during interpreter start-up exits 1)."""
    log = launcher.launch_log_path(tmp_path, name)
    deadline = time.monotonic() + 60
    while "ready" not in (log.read_text() if log.exists() else ""):
        assert time.monotonic() < deadline, "the sleeper never got ready"
        time.sleep(0.05)


@pytest.fixture
def recorded_argv(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """Replace the trainer with a 30 s sleep; yields the argv each launch asked for."""
    calls: list[list[str]] = []

    def fake_command(args: list[str]) -> list[str]:
        calls.append(args)
        return SLEEPER

    monkeypatch.setattr(launcher, "trainer_command", fake_command)
    yield calls


@pytest.fixture
def reap() -> Iterator[list[launcher.LaunchedRun]]:
    """Launched processes to kill at the end of the test."""
    launched: list[launcher.LaunchedRun] = []
    yield launched
    for run in launched:
        if run.process is not None and run.process.poll() is None:
            run.process.kill()
            run.process.wait(5)


def _wait_exit(run: launcher.LaunchedRun, seconds: float = 60.0) -> int | None:
    # Generous: on a loaded 2-core machine a signalled interpreter took over 5 s to exit.
    assert run.process is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        code = run.process.poll()
        if code is not None:
            return code
        time.sleep(0.05)
    return None


def test_spawn_training_runs_in_its_own_session(
    tmp_path: Path, recorded_argv: list[list[str]], reap: list[launcher.LaunchedRun]
) -> None:
    config = preset("quick").replace(epochs=2)
    run = launcher.spawn_training(config, tmp_path, "/data/cifar", name="my-run")
    reap.append(run)
    assert run.name == "my-run" and run.path == tmp_path / "my-run"
    assert os.getsid(run.pid) != os.getsid(0)
    assert os.getsid(run.pid) == run.pid  # it leads its new session
    args = recorded_argv[0]
    assert args[:2] == ["train", "--config"]
    assert args[args.index("--name") + 1] == "my-run"
    assert args[args.index("--models-dir") + 1] == str(tmp_path.absolute())
    assert args[args.index("--data-dir") + 1] == "/data/cifar"
    # The config travels through a hidden TOML that load_config reads back unchanged.
    assert load_config(Path(args[2])) == config
    assert Path(args[2]).name.startswith(".")
    assert launcher.check_launch(run, timeout=0.3) is None  # still alive: counts as started


def test_spawn_training_picks_a_fresh_name(
    tmp_path: Path, recorded_argv: list[list[str]], reap: list[launcher.LaunchedRun]
) -> None:
    run = launcher.spawn_training(preset("fast"), tmp_path, None)
    reap.append(run)
    assert run.name.endswith("_fast")
    assert "--data-dir" not in recorded_argv[0]


def test_spawn_resume_passes_the_run_name(
    tmp_path: Path, recorded_argv: list[list[str]], reap: list[launcher.LaunchedRun]
) -> None:
    write_run(tmp_path, "old", "stopped", 2)
    run = launcher.spawn_resume("old", tmp_path, None)
    reap.append(run)
    assert recorded_argv[0][:3] == ["train", "--resume", "old"]
    assert run.events_size == RunFolder(tmp_path / "old").events_path.stat().st_size


def test_a_launch_that_dies_at_once_reports_its_last_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reap: list[launcher.LaunchedRun]
) -> None:
    script = (
        "import sys; print('loading'); print('cifar-tui: error: no CIFAR-10 here'); sys.exit(2)"
    )
    monkeypatch.setattr(launcher, "trainer_command", lambda args: [sys.executable, "-c", script])
    run = launcher.spawn_training(preset("quick"), tmp_path, None, name="doomed")
    reap.append(run)
    message = launcher.check_launch(run, timeout=10.0)
    assert message == "trainer exited with code 2: cifar-tui: error: no CIFAR-10 here"
    assert launcher.launch_log_path(tmp_path, "doomed").is_file()


def test_stop_run_sends_sigint_to_the_lock_holder(
    tmp_path: Path, recorded_argv: list[list[str]], reap: list[launcher.LaunchedRun]
) -> None:
    child = launcher.spawn_training(preset("quick"), tmp_path, None, name="live")
    reap.append(child)
    run = write_run(tmp_path / "runs", "live", "running", 1)
    lock = {"pid": child.pid, "host": socket.gethostname(), "started": time.time()}
    run.lock_path.write_text(json.dumps(lock))
    _wait_ready(tmp_path, "live")
    assert launcher.stop_run(run) is True
    assert _wait_exit(child) == -signal.SIGINT


def test_stop_run_refuses_without_a_live_local_holder(tmp_path: Path) -> None:
    finished = write_run(tmp_path, "done", "finished", 3)
    assert launcher.stop_run(finished) is False  # no lock at all
    elsewhere = write_run(tmp_path, "remote", "running", 1)
    lock = {"pid": os.getpid(), "host": "another-host.example", "started": time.time()}
    elsewhere.lock_path.write_text(json.dumps(lock))
    assert launcher.stop_run(elsewhere) is False  # a signal cannot reach another machine
    dead = write_run(tmp_path, "dead", "running", 1)
    lock = {"pid": 2**22 + 12345, "host": socket.gethostname(), "started": time.time()}
    dead.lock_path.write_text(json.dumps(lock))
    assert launcher.stop_run(dead) is False


def test_running_here_lists_local_trainers_and_starting_launches(
    tmp_path: Path, recorded_argv: list[list[str]], reap: list[launcher.LaunchedRun]
) -> None:
    write_run(tmp_path, "done", "finished", 3)
    write_run(tmp_path, "local", "running", 1)  # locked by this (live) test process
    remote = write_run(tmp_path, "remote", "running", 1)
    lock = {"pid": os.getpid(), "host": "another-host.example", "started": time.time()}
    remote.lock_path.write_text(json.dumps(lock))
    starting = launcher.spawn_training(preset("quick"), tmp_path, None, name="starting")
    reap.append(starting)
    assert launcher.running_here(tmp_path, {"starting": starting}) == ["local", "starting"]
    _wait_ready(tmp_path, "starting")
    launcher.stop_runs(["starting"], tmp_path, {"starting": starting})  # no lock: its process
    assert _wait_exit(starting) == -signal.SIGINT
    assert launcher.running_here(tmp_path, {"starting": starting}) == ["local"]


# --- `cifar-tui stop`: the CLI's stop is launcher.request_stop -----------------------------


def _stop_cli(models: Path, name: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from cifar_tui.cli import main

    code = main(["--models-dir", str(models), "stop", name])
    out, err = capsys.readouterr()
    return code, out, err


def test_stop_refuses_a_lock_of_another_host_and_leaves_our_same_pid_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A shared models folder: the remote trainer's pid is an unrelated process here."""
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        run = write_run(tmp_path, "remote", "running", 1)
        lock = {"pid": bystander.pid, "host": "gpu-box.example", "started": time.time()}
        run.lock_path.write_text(json.dumps(lock))
        code, out, err = _stop_cli(tmp_path, "remote", capsys)
        assert (code, out) == (2, "")
        assert err.splitlines() == [
            f"cifar-tui: error: run remote trains on host gpu-box.example (pid {bystander.pid}), "
            f"not on {socket.gethostname()}; stop it there: ssh gpu-box.example cifar-tui stop "
            "remote"
        ]
        with pytest.raises(subprocess.TimeoutExpired):  # no signal: it sleeps on
            bystander.wait(timeout=1.0)
        with pytest.raises(UserError, match="trains on host gpu-box.example"):
            launcher.request_stop(run)  # the app's stop is the same function
        assert launcher.stop_run(run) is False
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait(5)


def test_stop_signals_a_local_trainer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trainer = subprocess.Popen(SLEEPER, stdout=subprocess.PIPE, text=True)
    try:
        assert trainer.stdout is not None and trainer.stdout.readline() == "ready\n"
        run = write_run(tmp_path, "local", "running", 1)
        lock = {"pid": trainer.pid, "host": socket.gethostname(), "started": time.time()}
        run.lock_path.write_text(json.dumps(lock))
        code, out, err = _stop_cli(tmp_path, "local", capsys)
        assert (code, err) == (0, "")
        assert out.startswith(f"asked pid {trainer.pid} to stop local;")
        assert trainer.wait(timeout=60) != 0  # KeyboardInterrupt ends it
    finally:
        trainer.kill()
        trainer.wait(5)


def test_stop_of_a_run_without_a_live_trainer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_run(tmp_path, "done", "finished", 3)
    code, out, err = _stop_cli(tmp_path, "done", capsys)
    assert (code, out) == (2, "")
    assert err == "cifar-tui: error: run done is not training (no live trainer holds its lock)\n"
