"""trainer.lock: one trainer per run folder; dead, reused-pid and garbage locks are taken over."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.lock import (
    RunLock,
    RunLockedError,
    holder_alive,
    lock_holder_alive,
    read_lock,
)

HOST = socket.gethostname()


@pytest.fixture
def lock_path(tmp_path: Path) -> Path:
    run = tmp_path / "2026-11-25_1915_fast"
    run.mkdir()
    return run / "trainer.lock"


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not us (a trainer stand-in)."""
    process = subprocess.Popen(["sleep", "30"])
    yield process
    process.kill()
    process.wait()


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()  # reaped, so the pid names no process (not even a zombie)
    return process.pid


def _write_lock(path: Path, pid: int, host: str = HOST, started: float | None = None) -> None:
    started = time.time() if started is None else started
    path.write_text(json.dumps({"pid": pid, "host": host, "started": started}))


def _leftovers(path: Path) -> list[str]:
    return sorted(entry.name for entry in path.parent.iterdir() if entry.name != path.name)


def test_acquire_writes_pid_host_start_and_release_removes(lock_path: Path) -> None:
    lock = RunLock(lock_path)
    before = time.time()
    lock.acquire()
    info = read_lock(lock_path)
    assert info is not None and info == lock.info
    assert (info["pid"], info["host"]) == (os.getpid(), HOST)
    assert before <= info["started"] <= time.time()
    assert lock_holder_alive(lock_path)
    lock.release()
    assert not lock_path.exists()
    assert _leftovers(lock_path) == []


def test_context_manager_releases_on_error(lock_path: Path) -> None:
    with pytest.raises(RuntimeError), RunLock(lock_path):
        assert lock_path.exists()
        raise RuntimeError("training crashed")
    assert not lock_path.exists()


def test_second_lock_in_same_process_is_refused(lock_path: Path) -> None:
    with RunLock(lock_path):
        with pytest.raises(RunLockedError, match=f"pid {os.getpid()}"):
            RunLock(lock_path).acquire()
        assert read_lock(lock_path) is not None  # the refused attempt left the lock alone


@pytest.mark.parametrize("holder", ["parent", "sleeper"])
def test_lock_held_by_live_process_is_refused(
    lock_path: Path, sleeper: subprocess.Popen[bytes], holder: str
) -> None:
    pid = os.getppid() if holder == "parent" else sleeper.pid
    _write_lock(lock_path, pid)
    with pytest.raises(RunLockedError) as caught:
        RunLock(lock_path).acquire()
    message = str(caught.value)
    assert isinstance(caught.value, UserError)
    assert "\n" not in message
    assert (
        f"run 2026-11-25_1915_fast is already being trained by pid {pid} on host {HOST}" in message
    )
    assert re.search(r"since (\d{4}-\d\d-\d\d )?\d\d:\d\d;", message)
    assert "cifar-tui stop 2026-11-25_1915_fast" in message
    assert read_lock(lock_path)["pid"] == pid  # type: ignore[index]


def test_lock_of_a_process_that_exits_is_taken_over(
    lock_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    _write_lock(lock_path, sleeper.pid)
    assert lock_holder_alive(lock_path)
    sleeper.kill()
    sleeper.wait()
    assert not lock_holder_alive(lock_path)
    with RunLock(lock_path) as lock:
        assert read_lock(lock_path) == lock.info
    assert _leftovers(lock_path) == []


def test_stale_lock_from_dead_pid_is_taken_over(lock_path: Path) -> None:
    _write_lock(lock_path, _dead_pid())
    lock = RunLock(lock_path)
    lock.acquire()
    assert read_lock(lock_path)["pid"] == os.getpid()  # type: ignore[index]
    lock.release()
    assert _leftovers(lock_path) == []


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="process start times need /proc")
def test_lock_whose_pid_was_reused_after_a_reboot_is_taken_over(
    lock_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    # The lock predates the live process that now has its pid by an hour.
    _write_lock(lock_path, sleeper.pid, started=time.time() - 3600)
    assert not lock_holder_alive(lock_path)
    with RunLock(lock_path):
        assert read_lock(lock_path)["pid"] == os.getpid()  # type: ignore[index]


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"garbage\x00\xff", id="garbage"),
        pytest.param(b"[1, 2]", id="list"),
        pytest.param(b'{"pid": "1234", "host": "h"}', id="pid-string"),
        pytest.param(b'{"pid": 0, "host": "h"}', id="pid-zero"),
        pytest.param(b'{"pid": -5, "host": "h"}', id="pid-negative"),
        pytest.param(b'{"pid": true, "host": "h"}', id="pid-bool"),
        pytest.param(b'{"pid": 1234}', id="no-host"),
        pytest.param(b'{"pid": 12', id="torn"),
    ],
)
def test_garbage_lock_is_taken_over(lock_path: Path, content: bytes) -> None:
    lock_path.write_bytes(content)
    assert read_lock(lock_path) is None
    assert not lock_holder_alive(lock_path)
    with RunLock(lock_path) as lock:
        assert read_lock(lock_path) == lock.info
    assert not lock_path.exists()
    assert _leftovers(lock_path) == []


def test_lock_from_another_host_is_held_and_says_so(lock_path: Path) -> None:
    _write_lock(lock_path, _dead_pid(), host="gpu-node-17")
    assert lock_holder_alive(lock_path)  # cannot check another machine's processes
    with pytest.raises(RunLockedError) as caught:
        RunLock(lock_path).acquire()
    message = str(caught.value)
    assert "host gpu-node-17" in message and "another machine" in message
    assert str(lock_path) in message


def test_release_leaves_a_lock_that_is_no_longer_ours(lock_path: Path) -> None:
    lock = RunLock(lock_path)
    lock.acquire()
    _write_lock(lock_path, os.getppid())  # someone took over (e.g. the lock was deleted by hand)
    lock.release()
    assert read_lock(lock_path)["pid"] == os.getppid()  # type: ignore[index]


def test_release_without_acquire_does_nothing(lock_path: Path) -> None:
    _write_lock(lock_path, os.getppid())
    RunLock(lock_path).release()
    assert lock_path.exists()


@pytest.mark.parametrize("attempt", range(5))  # races are probabilistic: several rounds
def test_racing_takers_of_a_stale_lock_have_one_winner(lock_path: Path, attempt: int) -> None:
    # Threads share our pid, so each sees the winner's lock as live: exactly one may succeed.
    _write_lock(lock_path, _dead_pid())
    takers = 8
    barrier = threading.Barrier(takers)
    outcomes: list[str] = []

    def take() -> None:
        barrier.wait()
        try:
            RunLock(lock_path).acquire()
            outcomes.append("won")
        except RunLockedError:
            outcomes.append("refused")

    threads = [threading.Thread(target=take) for _ in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * (takers - 1) + ["won"]
    assert read_lock(lock_path)["pid"] == os.getpid()  # type: ignore[index]
    assert _leftovers(lock_path) == []


@pytest.mark.parametrize(
    ("info", "alive"),
    [
        pytest.param(None, False, id="no-lock"),
        pytest.param({"pid": os.getpid(), "host": HOST}, True, id="us-no-start-time"),
        pytest.param(
            {"pid": os.getppid(), "host": HOST, "started": time.time()}, True, id="parent"
        ),
        pytest.param({"pid": 1, "host": "elsewhere", "started": 0}, True, id="other-host"),
    ],
)
def test_holder_alive(info: dict[str, object] | None, alive: bool) -> None:
    assert holder_alive(info) is alive


def test_read_lock_missing_or_folder_is_none(lock_path: Path) -> None:
    assert read_lock(lock_path) is None
    lock_path.mkdir()
    assert read_lock(lock_path) is None


def test_acquire_removes_temp_files_that_killed_takers_left(lock_path: Path) -> None:
    litter = [lock_path.with_name(f".{lock_path.name}.{pid}.140.tmp") for pid in (999_999, 12)]
    for path in litter:
        path.write_bytes(b'{"pid": 1')  # a taker killed mid-write
    unrelated = lock_path.with_name(f".{lock_path.name}.notes.tmp")
    unrelated.write_text("not ours to delete")
    with RunLock(lock_path):
        assert not any(path.exists() for path in litter)
    assert _leftovers(lock_path) == [unrelated.name]
