"""events.jsonl: the trainer appends one JSON object per line; the UI tails and summarizes it."""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = [
    "BATCH_EVENT_INTERVAL",
    "BATCH_LINE_START",
    "STATUSES",
    "TERMINAL_EVENTS",
    "EventTail",
    "EventWriter",
    "RunSummary",
    "SummaryTail",
    "json_safe",
    "parse_event_line",
    "read_events",
    "summarize_events",
]

TERMINAL_EVENTS = frozenset({"finished", "stopped", "failed"})
"""Event types after which a trainer writes nothing more (until a resume starts a new segment)."""

BATCH_EVENT_INTERVAL = 0.5
"""A trainer writes a `batch` progress event at most this often (seconds). Twice a second keeps
the progress bars live, while the app, which repaints on each one it reads, used 1.5% of a core
against 2.2% at five a second (measured side by side): on a CPU that training fills, that time
comes out of training. A 125-epoch run's events.jsonl stays ~5 MB instead of ~13 MB."""


def json_safe(value: Any) -> Any:
    """Return `value` with NaN/inf floats turned into None and NumPy values into plain Python.

    A diverged run logs a NaN loss; strict JSON has no NaN, and the UI must still read the line.

    Args:
        value: a dict, list, tuple, scalar, NumPy scalar or array, or Path.

    Returns:
        A structure `json.dumps(..., allow_nan=False)` accepts (unknown types pass through).
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
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
                tests writing fixture runs turn it off (it costs ~1 ms per event).
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


def parse_event_line(line: str) -> dict[str, Any] | None:
    """Parse one line of events.jsonl.

    Args:
        line: the text of one line, with or without its newline.

    Returns:
        The event, or None for a blank line, garbage, a non-object, or an object without a
        string "type".
    """
    line = line.strip()
    if not line:
        return None
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return None
    return event


BATCH_LINE_START = b'{"type":"batch",'
"""How EventWriter starts every batch event's line (compact JSON, "type" first)."""


def _parse_keeping_last_batch(lines: list[bytes]) -> list[dict[str, Any]]:
    """The events of `lines` in file order, less the batch events written before the last one.

    Lines that start as EventWriter starts a batch event are skipped unparsed, but for the last
    one that parses (a garbage or torn line may not). A batch event written by hand with other
    spacing is parsed and kept like any other event.
    """
    last = None
    for index in range(len(lines) - 1, -1, -1):
        if lines[index].startswith(BATCH_LINE_START):
            if parse_event_line(lines[index].decode("utf-8", errors="replace")) is not None:
                last = index
                break
    return _parse_lines(
        [line for index, line in enumerate(lines)
         if index == last or not line.startswith(BATCH_LINE_START)]
    )  # fmt: skip


def _parse_lines(lines: list[bytes]) -> list[dict[str, Any]]:
    # Bytes are decoded per complete line, so a multi-byte character split by a torn write or a
    # chunk boundary never reaches the decoder.
    events = []
    for raw in lines:
        event = parse_event_line(raw.decode("utf-8", errors="replace"))
        if event is not None:
            events.append(event)
    return events


def read_events(path: Path) -> list[dict[str, Any]]:
    """Read every complete event from an events file.

    A last line without its newline is a write in progress (or a killed writer's torn line): it is
    left out, not an error. Garbage lines are skipped.

    Args:
        path: the events.jsonl file.

    Returns:
        The events in file order; [] if the file does not exist.
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    *complete, _partial = data.split(b"\n")
    return _parse_lines(complete)


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

    def poll(self, latest_batch_only: bool = False) -> list[dict[str, Any]]:
        """Return the events completed since the last poll.

        A file that does not exist yet gives []; a file that was truncated or replaced is read
        again from its start.

        Args:
            latest_batch_only: leave out every batch event but the last of those read now, for
                a reader that shows only where training stands; their lines are not parsed, so a
                long run's file (~97% batch events) is read about 15x faster.

        Returns:
            New complete events in file order.
        """
        lines = self._read_lines()[0]
        return _parse_keeping_last_batch(lines) if latest_batch_only else _parse_lines(lines)

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

    def follow(self, stop: threading.Event, interval: float = 0.2) -> Iterator[dict[str, Any]]:
        """Yield events as they arrive until `stop` is set.

        Args:
            stop: set it (from any thread) to end the iteration within `interval` seconds.
            interval: seconds between polls.

        Returns:
            An iterator of events, starting with those already in the file.
        """
        while not stop.is_set():
            yield from self.poll()
            stop.wait(interval)


class SummaryTail(EventTail):
    """What `summarize_events` needs from a run, followed incrementally: every event but the batch
    events that a later event follows.

    A batch event adds nothing to a summary but its time, which the next event's replaces, and a
    long run's file is ~97% batch events (~70,000 lines, 13 MB, for 125 recipe epochs). So their
    lines are recognized by how the writer starts them and not parsed, except the last one, and a
    running run is re-read from where the previous read stopped: the runs list re-summarizes a
    running run every 2 s, and parsing its whole file each time kept ~4% of a core busy.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._kept: list[dict[str, Any]] = []  # every event but batch events
        self._latest_batch: dict[str, Any] | None = None  # the last event, if it is a batch event

    def events(self) -> list[dict[str, Any]]:
        """The run's events in file order, less the batch events that are not the last event."""
        lines, restarted = self._read_lines()
        if restarted:
            self._kept, self._latest_batch = [], None
        for event in _parse_keeping_last_batch(lines):
            if event["type"] == "batch":
                self._latest_batch = event
            else:
                self._kept.append(event)
                self._latest_batch = None
        return [*self._kept, self._latest_batch] if self._latest_batch else list(self._kept)


STATUSES = ("created", "running", "finished", "stopped", "failed", "interrupted")
"""Every value RunSummary.status takes."""


@dataclass(frozen=True)
class RunSummary:
    """What a runs list shows about one run, derived from its events and its lock."""

    name: str
    path: Path
    status: str
    """One of STATUSES; "interrupted" = no terminal event and no live trainer (e.g. kill -9)."""
    epochs_done: int
    epochs_total: int | None
    best_val_accuracy: float | None
    """Fraction in [0, 1], like Keras logs it."""
    best_epoch: int | None
    test_accuracy: float | None
    started: float | None
    """Unix time of the first run_started event."""
    updated: float | None
    """Unix time of the last event (of config.toml for a run with no events yet)."""
    strategy: str | None
    replicas: int | None
    preset: str | None
    message: str | None
    """The failure message of a failed run."""


def _number(value: Any) -> float | None:
    # Events come from another process (or a hand-edited file): trust nothing about their types.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number == int(number) else None


def _either(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


def _preset_of(config: Any) -> str | None:
    if not isinstance(config, dict):
        return None
    if isinstance(config.get("preset"), str):
        return config["preset"]
    for section in config.values():  # tolerate the preset living in a table
        if isinstance(section, dict) and isinstance(section.get("preset"), str):
            return section["preset"]
    return None


def summarize_events(
    events: list[dict[str, Any]],
    lock_alive: bool = False,
    *,
    name: str = "",
    path: Path | None = None,
    lock_started: float | None = None,
) -> RunSummary:
    """Summarize a run from its events (a pure function: the UI calls it on events it holds).

    Args:
        events: the run's events in file order.
        lock_alive: whether a live trainer holds the run's lock.
        name: the run's name.
        path: the run folder (default: Path(name)).
        lock_started: the lock's "started" time; a terminal event written after it means the
            trainer is only exiting, so the run counts as ended, not running.

    Returns:
        The summary.
    """
    epochs_done, epochs_total = 0, None
    best_val, best_epoch, test_accuracy = None, None, None
    started, updated, strategy, replicas, preset, message = None, None, None, None, None, None
    for event in events:
        kind = event.get("type")
        updated = _either(_number(event.get("time")), updated)
        if kind == "run_started":
            started = _either(started, _number(event.get("time")))
            # A resume continues from its initial epoch (which may be behind the last epoch seen).
            epochs_done = _either(_integer(event.get("initial_epoch")), epochs_done)
            epochs_total = _either(_integer(event.get("epochs")), epochs_total)
            strategy = event.get("strategy") if isinstance(event.get("strategy"), str) else None
            replicas = _integer(event.get("replicas"))
            preset = _either(_preset_of(event.get("config")), preset)
        elif kind == "epoch_ended":
            epochs_done = _either(_integer(event.get("epoch")), epochs_done)
            epochs_total = _either(_integer(event.get("epochs")), epochs_total)
            val = _number(event.get("val_accuracy"))
            if val is not None and (best_val is None or val > best_val):
                best_val, best_epoch = val, _integer(event.get("epoch"))
        if kind in ("epoch_ended", "predictions_saved", "finished"):
            test_accuracy = _either(_number(event.get("test_accuracy")), test_accuracy)
        if kind == "failed":
            message = str(event.get("message") or event.get("error") or "failed")
    last = events[-1].get("type") if events else None
    lock_time = _number(lock_started)
    ended_after_lock = (
        last in TERMINAL_EVENTS
        and lock_time is not None
        and _either(_number(events[-1].get("time")), 0.0) >= lock_time
    )
    if lock_alive and not ended_after_lock:
        status = "running"
    elif last is None:
        status = "created"
    elif last in TERMINAL_EVENTS:
        status = str(last)
    else:
        status = "interrupted"
    return RunSummary(
        name=name,
        path=path if path is not None else Path(name),
        status=status,
        epochs_done=epochs_done,
        epochs_total=epochs_total,
        best_val_accuracy=best_val,
        best_epoch=best_epoch,
        test_accuracy=test_accuracy,
        started=started,
        updated=updated,
        strategy=strategy,
        replicas=replicas,
        preset=preset,
        message=message if status == "failed" else None,
    )
