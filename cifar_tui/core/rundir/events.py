"""events.jsonl: the trainer appends one JSON object per line; readers get typed events back.

The records themselves, and how a line's fields are validated, live in event_types.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from cifar_tui.core.rundir.event_types import Event, event_from_dict
from cifar_tui.core.rundir.fields import finite_number

__all__ = [
    "BATCH_EVENT_INTERVAL",
    "BATCH_LINE_START",
    "EventTail",
    "EventWriter",
    "json_safe",
    "parse_event_line",
    "parse_lines",
    "read_events",
]

BATCH_EVENT_INTERVAL = 0.5
"""A trainer writes a `batch` progress event at most this often (seconds): often enough for live
progress bars, rarely enough that the app repainting on each one costs training little (the
measurements are in BENCHMARKS.md, "Batch events twice a second")."""


def json_safe(value: Any) -> Any:
    """Return `value` with NaN/inf floats turned into None and NumPy values into plain Python.

    A diverged run logs a NaN loss; strict JSON has no NaN, and the UI must still read the line.

    Args:
        value: a dict, list, tuple, scalar, NumPy scalar or array, or Path.

    Returns:
        A structure `json.dumps(..., allow_nan=False)` accepts (unknown types pass through).
    """
    if isinstance(value, float):
        return finite_number(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "tolist"):  # NumPy scalars and arrays (Keras logs hold np.float32)
        return json_safe(value.tolist())
    return value


class EventWriter:
    """Appends events to events.jsonl, one `write` per line, flushed and fsynced per line."""

    def __init__(self, path: Path, fsync: bool = True) -> None:
        """Open (or create) the events file for appending.

        Args:
            path: the events.jsonl file.
            fsync: fsync after every line, so a power cut loses at most the line being written;
                tests writing fixture runs turn it off.
        """
        self.path = Path(path)
        self._fsync = fsync
        # O_APPEND makes each write land at the end in one piece, so a tailing reader never sees
        # two events interleaved, even if a stale writer were still around.
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        self._lock = threading.Lock()  # the signal-handling thread and the callback may both write
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            # A killed writer left a torn line; end it so our first event starts on its own line.
            self._write_all(b"\n")

    def _write_all(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def append(self, type: str, **fields: Any) -> dict[str, Any]:
        """Write one event and return it as written.

        Args:
            type: the event type, e.g. "epoch_ended".
            **fields: the event's fields; a "time" field overrides the current time (fixtures).

        Returns:
            The event dict after NaN/inf were replaced with None.
        """
        event = json_safe({"type": type, "time": time.time(), **fields})
        line = json.dumps(event, allow_nan=False, separators=(",", ":")) + "\n"
        with self._lock:
            if self._fd is None:
                raise ValueError(f"event writer for {self.path} is closed")
            self._write_all(line.encode("utf-8"))
            if self._fsync:
                os.fsync(self._fd)
        return event

    def close(self) -> None:
        """Close the file; further appends raise ValueError. Safe to call twice."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def parse_event_line(line: str) -> Event | None:
    """Parse one line of events.jsonl into its typed event.

    Args:
        line: the text of one line, with or without its newline.

    Returns:
        The event (see `event_from_dict`), or None for a blank line, garbage, a non-object, or
        an object without a string "type".
    """
    line = line.strip()
    if not line:
        return None
    try:
        raw = json.loads(line)
    except ValueError:
        return None
    return event_from_dict(raw) if isinstance(raw, dict) else None


BATCH_LINE_START = b'{"type":"batch",'
"""How EventWriter starts every batch event's line (compact JSON, "type" first)."""


def parse_lines(lines: list[bytes], latest_batch_only: bool = False) -> list[Event]:
    """The events of complete lines, in file order; garbage lines are skipped.

    Args:
        lines: complete lines of events.jsonl, without their newlines.
        latest_batch_only: leave out the batch events before the last one. Lines that start as
            EventWriter starts a batch event are then skipped unparsed, but for the last one
            that parses (a garbage or torn line may not). A batch event written by hand with
            other spacing is parsed and kept like any other event.

    Returns:
        The events.
    """
    if latest_batch_only:
        last = None
        for index in range(len(lines) - 1, -1, -1):
            if lines[index].startswith(BATCH_LINE_START):
                if parse_event_line(lines[index].decode("utf-8", errors="replace")) is not None:
                    last = index
                    break
        lines = [line for index, line in enumerate(lines)
                 if index == last or not line.startswith(BATCH_LINE_START)]  # fmt: skip
    # Bytes are decoded per complete line, so a multi-byte character split by a torn write or a
    # chunk boundary never reaches the decoder.
    events = []
    for raw in lines:
        event = parse_event_line(raw.decode("utf-8", errors="replace"))
        if event is not None:
            events.append(event)
    return events


def read_events(path: Path, latest_batch_only: bool = False) -> list[Event]:
    """Read every complete event from an events file.

    A last line without its newline is a write in progress (or a killed writer's torn line): it is
    left out, not an error. Garbage lines are skipped.

    Args:
        path: the events.jsonl file.
        latest_batch_only: leave out the batch events but the last, unparsed (see
            `parse_lines`), for a reader that needs none of them.

    Returns:
        The events in file order; [] if the file does not exist.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    *complete, _partial = data.split(b"\n")
    return parse_lines(complete, latest_batch_only)


class EventTail:
    """Incremental reader: each `poll` returns the events completed since the previous one."""

    def __init__(self, path: Path) -> None:
        """Follow `path` from its start; it need not exist yet.

        Args:
            path: the events.jsonl file.
        """
        self.path = Path(path)
        self._offset = 0
        self._pending = b""  # the last line read so far, still waiting for its newline
        self._identity: tuple[int, int] | None = None

    def _start_over(self) -> None:
        self._offset = 0
        self._pending = b""
        self._identity = None

    def poll(self, latest_batch_only: bool = False) -> list[Event]:
        """Return the events completed since the last poll.

        A file that does not exist yet gives []; a file that was truncated or replaced is read
        again from its start.

        Args:
            latest_batch_only: leave out every batch event but the last of those read now, for
                a reader that shows only where training stands; their lines are not even parsed
                (a long run's file is mostly batch events: BENCHMARKS.md, "The app through a
                pty").

        Returns:
            New complete events in file order.
        """
        return parse_lines(self._read_lines()[0], latest_batch_only)

    def _read_lines(self) -> tuple[list[bytes], bool]:
        """The lines completed since the last read, and whether reading started over (the file
        was missing, truncated or replaced, so what came before no longer counts)."""
        restarted = False
        try:
            # Reopened on every poll so that a replaced file (new inode) is noticed.
            with open(self.path, "rb") as file:
                stat = os.fstat(file.fileno())
                identity = (stat.st_dev, stat.st_ino)
                if identity != self._identity or stat.st_size < self._offset:
                    restarted = self._identity is not None or self._offset > 0
                    self._start_over()
                    self._identity = identity
                file.seek(self._offset)
                data = file.read()
        except FileNotFoundError:
            restarted = self._identity is not None
            self._start_over()
            return [], restarted
        self._offset += len(data)
        *complete, self._pending = (self._pending + data).split(b"\n")
        return complete, restarted
