"""What the benches share: the app on a pseudo-terminal, subprocess helpers, markdown tables.

Also a run's events as plain dicts (the benches compare runs of any version). A bench runs as
`python bench/NAME.py`, which puts bench/ on sys.path, so it does `import benchkit`;
tests/bench_modules.py does the same for the tests.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fcntl import ioctl
from pathlib import Path
from typing import Any

# --- running cifar-tui and helper scripts -------------------------------------------------------


def cifar_tui_argv(*args: str) -> list[str]:
    """The argv of `cifar-tui ARGS` with this interpreter (no console script needed)."""
    return [sys.executable, "-m", "cifar_tui", *args]


def pinned(cpu: int | str | None) -> list[str]:
    """A command prefix that keeps a process (and TensorFlow's thread pools) on one CPU (or on a
    taskset list such as "0,1")."""
    return [] if cpu is None else ["taskset", "-c", str(cpu)]


def run_json_script(script: str, *args: str, cpu: int | str | None = None) -> Any:
    """Run `python -c SCRIPT ARGS` (on `cpu` only, if given); its last stdout line, as JSON.

    Raises:
        RuntimeError: the script failed; the message holds the end of its stderr.
    """
    result = subprocess.run(
        [*pinned(cpu), sys.executable, "-c", script, *args], capture_output=True, text=True
    )
    if result.returncode:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def stop_process(process: subprocess.Popen[Any], timeout: float = 30.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_events(run: Path, kind: str | None = None) -> list[Any]:
    """The typed events of run folder `run` (only those of type `kind`, if given), read as the
    app reads them (core/rundir/events.py): a torn last line and garbage lines are skipped."""
    from cifar_tui.core.rundir.events import read_events

    events = read_events(Path(run) / "events.jsonl")
    return [event for event in events if kind is None or event.type == kind]


# --- markdown tables and their figures --------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """`| a | b |` rows under a `|---|---|` rule, cells as str() gives them."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def describe(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, 90th percentile (nearest rank) and maximum."""
    ordered = sorted(values)
    rank = max(math.ceil(0.9 * len(ordered)), 1)
    return statistics.median(ordered), ordered[rank - 1], ordered[-1]


# --- the app on a pseudo-terminal ----------------------------------------------------------------

QUIET_SECONDS = 0.020
"""A gap this long ends a burst of output (Textual paints at most 60 frames a second)."""
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"
"""Textual asks whether the terminal has synchronized output (DEC mode 2026, in tmux 3.4+, kitty,
WezTerm, iTerm2, foot...); answering "supported, off" makes it bracket every frame with
SYNC_START/SYNC_END, and such a terminal shows a frame only once it has all of it."""
SYNC_START = b"\x1b[?2026h"
SYNC_END = b"\x1b[?2026l"


@dataclass(frozen=True)
class Chunk:
    """One read from the pty master: when it returned and what it held."""

    time: float
    data: bytes


@dataclass(frozen=True)
class Burst:
    """Output with no gap longer than the quiet time: first and last read, all bytes."""

    start: float
    end: float
    data: bytes


def bursts(chunks: Sequence[Chunk], quiet: float = QUIET_SECONDS) -> list[Burst]:
    """Group reads into bursts: a new burst starts after a gap of more than `quiet` seconds."""
    groups: list[list[Chunk]] = []
    for chunk in chunks:
        if groups and chunk.time - groups[-1][-1].time <= quiet:
            groups[-1].append(chunk)
        else:
            groups.append([chunk])
    return [
        Burst(group[0].time, group[-1].time, b"".join(chunk.data for chunk in group))
        for group in groups
    ]


def marker_frame(chunks: Sequence[Chunk], marker: bytes) -> tuple[float, int] | None:
    """When the synchronized-output frame that holds `marker` arrived whole, and its size.

    None when the output has no such frame (the terminal did not offer synchronized output) or it
    has not ended yet.
    """
    data = b"".join(chunk.data for chunk in chunks)
    at = data.find(marker)
    if at < 0:
        return None
    start = data.rfind(SYNC_START, 0, at)
    end = data.find(SYNC_END, at)
    if start < 0 or end < 0:
        return None
    last_byte = end + len(SYNC_END) - 1
    offset = 0
    for chunk in chunks:
        offset += len(chunk.data)
        if offset > last_byte:
            return chunk.time, last_byte + 1 - start
    return None


@dataclass(frozen=True)
class Response:
    """What a key press got, in seconds after the key was written."""

    first_byte: float
    repaint_done: float
    bytes: int
    frame_done: float | None = None
    """End of the synchronized frame that holds the marker: when the repaint shows on a terminal
    with synchronized output (None without it). Unlike `repaint_done` it cannot run on into a
    progress-bar frame that follows within the quiet time."""
    cpu: float = 0.0
    """Seconds the app's threads ran from the key to the end of the repaint (and its quiet)."""
    waited: float = 0.0
    """Seconds the app's threads were runnable but waited for a CPU (other processes ran)."""


def key_response(
    chunks: Sequence[Chunk],
    sent: float,
    marker: bytes,
    now: float,
    quiet: float = QUIET_SECONDS,
) -> Response | None:
    """The response to a key written at `sent`, once it is complete; else None.

    Args:
        chunks: reads so far (earlier ones are ignored).
        sent: when the key was written.
        marker: text only the view the key shows paints; the repaint is the first burst after
            `sent` that holds it.
        now: the current time: the marker's burst is complete once `quiet` has passed since its
            last read with no further read.
        quiet: the gap that ends a burst.

    Returns:
        First byte and end of the repaint relative to `sent`, and the repaint's size; None while
        the marker has not arrived or its burst may still go on.
    """
    after = [chunk for chunk in chunks if chunk.time >= sent]
    groups = bursts(after, quiet)
    for index, burst in enumerate(groups):
        if marker in burst.data:
            if index == len(groups) - 1 and now - burst.end <= quiet:
                return None  # more of this burst may still come
            frame = marker_frame(after, marker)
            return Response(
                after[0].time - sent,
                burst.end - sent,
                len(burst.data),
                frame_done=None if frame is None else frame[0] - sent,
            )
    return None


class Terminal:
    """A process on a pty of a given size; `pump` reads what it writes, stamped.

    Args:
        argv: the command (argv[0] a path: it is exec'd as is).
        columns, rows: the terminal size, set before the process starts.
        cwd: its working folder.
        synchronized_output: answer Textual's query for DEC mode 2026 as such a terminal does.
        cpu: run it on this CPU only.
        keep: keep only the last `keep` reads (None: all), for a long run read and thrown away.
    """

    def __init__(
        self,
        argv: list[str],
        columns: int,
        rows: int,
        cwd: Path | None = None,
        synchronized_output: bool = True,
        cpu: int | None = None,
        keep: int | None = None,
    ) -> None:
        self.synchronized_output = synchronized_output
        self.keep = keep
        size = struct.pack("HHHH", rows, columns, 0, 0)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the app, on a terminal of the given size from its first query
            try:
                ioctl(0, termios.TIOCSWINSZ, size)
                os.environ["TERM"] = "xterm-256color"
                os.environ.pop("NO_COLOR", None)
                if cwd is not None:
                    os.chdir(cwd)
                if cpu is not None:
                    os.sched_setaffinity(0, {cpu})
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        ioctl(self.fd, termios.TIOCSWINSZ, size)
        self.chunks: list[Chunk] = []

    def pump(
        self,
        until: float,
        done: Callable[[float], bool] | None = None,
        poll: float | None = None,
    ) -> bool:
        """Read until perf_counter() reaches `until` or `done(now)` is true; returns the latter.

        `done` is asked after each read and, with `poll`, at least every `poll` seconds.
        """
        while True:
            now = time.perf_counter()
            if done is not None and done(now):
                return True
            if now >= until:
                return False
            timeout = until - now if poll is None else min(until - now, poll)
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if ready:
                self._read()

    def _read(self) -> None:
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # the app exited
            data = b""
        if not data:
            raise RuntimeError(f"the app exited; last output {self.tail()!r}")
        self.chunks.append(Chunk(time.perf_counter(), data))
        if self.keep is not None and len(self.chunks) > 2 * self.keep:
            del self.chunks[: -self.keep]
        if self.synchronized_output and SYNC_QUERY in data:
            os.write(self.fd, SYNC_REPLY)  # as such a terminal answers

    def wait_for(self, markers: Sequence[bytes], timeout: float) -> None:
        """Read until every marker has arrived (since the start)."""
        seen = bytearray()
        count = 0

        def arrived(_now: float) -> bool:
            nonlocal count
            for chunk in self.chunks[count:]:
                seen.extend(chunk.data)
            count = len(self.chunks)
            return all(marker in seen for marker in markers)

        if not self.pump(time.perf_counter() + timeout, arrived):
            raise RuntimeError(f"no {markers} within {timeout} s; last output {self.tail()!r}")

    def wait_quiet(self, quiet: float, timeout: float) -> None:
        """Read until nothing has arrived for `quiet` seconds (or `timeout`)."""
        started = time.perf_counter()

        def quiet_now(now: float) -> bool:
            last = self.chunks[-1].time if self.chunks else started
            return now - max(last, started) >= quiet

        self.pump(started + timeout, quiet_now, poll=quiet / 4)

    def schedstat(self) -> tuple[float, float]:
        """Seconds the app's threads have run and have waited runnable, summed (Linux)."""
        ran = waited = 0
        for task in Path(f"/proc/{self.pid}/task").glob("*/schedstat"):
            try:
                fields = task.read_text().split()
            except OSError:  # a thread that just ended
                continue
            ran, waited = ran + int(fields[0]), waited + int(fields[1])
        return ran / 1e9, waited / 1e9

    def tail(self) -> bytes:
        return b"".join(chunk.data for chunk in self.chunks[-5:])[-300:]

    def press(self, key: bytes, marker: bytes, timeout: float = 5.0) -> Response | None:
        """Write `key` and wait for the burst holding `marker` to end (None: none in time)."""
        start = len(self.chunks)
        ran, waited = self.schedstat()
        sent = time.perf_counter()
        os.write(self.fd, key)
        result: list[Response] = []

        def answered(now: float) -> bool:
            response = key_response(self.chunks[start:], sent, marker, now)
            if response is not None:
                result.append(response)
            return response is not None

        self.pump(sent + timeout, answered, poll=QUIET_SECONDS / 4)
        if not result:
            return None
        ran_after, waited_after = self.schedstat()
        return dataclasses.replace(result[0], cpu=ran_after - ran, waited=waited_after - waited)

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)
