"""events.jsonl: writing, parsing, tolerant reading, tailing and summarizing events."""

from __future__ import annotations

import json
import math
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cifar_tui.core.rundir.event_types import (
    TERMINAL_EVENTS,
    Batch,
    EpochEnded,
    Event,
    event_from_dict,
)
from cifar_tui.core.rundir.events import (
    EventTail,
    EventWriter,
    json_safe,
    parse_event_line,
    read_events,
)
from cifar_tui.core.rundir.status import STATUSES
from cifar_tui.core.rundir.summary import SummaryTail, summarize_events


def _typed(*raw: Mapping[str, Any]) -> list[Event]:
    """Events as a reader gets them from lines holding `raw`."""
    events = [event_from_dict(event) for event in raw]
    assert all(event is not None for event in events)
    return events  # type: ignore[return-value]


def _strict_loads(line: str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(line, parse_constant=refuse)


# --- json_safe -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(float("nan"), None, id="nan"),
        pytest.param(float("inf"), None, id="inf"),
        pytest.param(-float("inf"), None, id="minus-inf"),
        pytest.param(1.5, 1.5, id="float"),
        pytest.param(True, True, id="bool"),
        pytest.param(np.float32(0.25), 0.25, id="numpy-float32"),
        pytest.param(np.float64("nan"), None, id="numpy-nan"),
        pytest.param(np.int64(7), 7, id="numpy-int"),
        pytest.param(np.array([1.0, np.nan]), [1.0, None], id="numpy-array"),
        pytest.param(Path("a/b"), "a/b", id="path"),
        pytest.param((1, float("nan")), [1, None], id="tuple"),
        pytest.param(
            {"loss": {"x": [float("inf")]}, 3: "k"}, {"loss": {"x": [None]}, "3": "k"}, id="nested"
        ),
    ],
)
def test_json_safe(value: Any, expected: Any) -> None:
    assert json_safe(value) == expected
    json.dumps(json_safe(value), allow_nan=False)


# --- EventWriter ---------------------------------------------------------------------------------


def test_writer_appends_one_line_per_event(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    before = time.time()
    with EventWriter(path) as writer:
        first = writer.append("run_started", run="r", epochs=3)
        writer.append("batch", epoch=1, step=10, steps=100, loss=2.1, accuracy=0.2)
    lines = path.read_text().splitlines(keepends=True)
    assert len(lines) == 2 and all(line.endswith("\n") for line in lines)
    assert [_strict_loads(line)["type"] for line in lines] == ["run_started", "batch"]
    assert first["type"] == "run_started" and first["epochs"] == 3
    assert before <= first["time"] <= time.time()
    assert _strict_loads(lines[0]) == first


def test_writer_turns_nan_loss_into_null(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with EventWriter(path) as writer:
        event = writer.append("epoch_ended", epoch=4, loss=float("nan"), val_loss=np.float32("inf"))
    assert event["loss"] is None and event["val_loss"] is None
    (line,) = path.read_text().splitlines()
    assert _strict_loads(line)["loss"] is None
    assert "NaN" not in line and "Infinity" not in line


def test_writer_time_field_overrides_clock(tmp_path: Path) -> None:
    with EventWriter(tmp_path / "e") as writer:
        assert writer.append("batch", time=123.5)["time"] == 123.5


def test_writer_appends_to_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    with EventWriter(path) as writer:
        writer.append("run_started")
    with EventWriter(path) as writer:
        writer.append("run_started", resumed=True)
    assert [event.resumed for event in read_events(path)] == [None, True]  # type: ignore[attr-defined]


def test_writer_ends_a_torn_line_left_by_a_killed_writer(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"type":"run_started","time":1}\n{"type":"batch","ti')
    with EventWriter(path) as writer:
        writer.append("stopped", epoch=0, step=5, reason="x")
    data = path.read_bytes()
    assert data.endswith(b"\n")
    assert b'{"type":"batch","ti\n{"type":"stopped"' in data
    assert [event.type for event in read_events(path)] == ["run_started", "stopped"]


def test_writer_uses_one_write_and_one_fsync_per_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[bytes] = []
    fsyncs: list[int] = []
    real_write, real_fsync = os.write, os.fsync

    def spy_write(fd: int, data: bytes) -> int:
        writes.append(bytes(data))
        return real_write(fd, data)

    def spy_fsync(fd: int) -> None:
        fsyncs.append(fd)
        real_fsync(fd)

    with EventWriter(tmp_path / "events.jsonl") as writer:
        monkeypatch.setattr(os, "write", spy_write)
        monkeypatch.setattr(os, "fsync", spy_fsync)
        for step in range(3):
            writer.append("batch", step=step)
        monkeypatch.undo()
    assert len(writes) == 3 and len(fsyncs) == 3
    assert all(chunk.endswith(b"\n") and chunk.count(b"\n") == 1 for chunk in writes)


def test_writer_without_fsync_still_writes_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fsyncs: list[int] = []
    monkeypatch.setattr(os, "fsync", fsyncs.append)
    with EventWriter(tmp_path / "events.jsonl", fsync=False) as writer:
        writer.append("batch", step=1)
    assert fsyncs == []
    assert [event.step for event in read_events(tmp_path / "events.jsonl")] == [1]  # type: ignore[attr-defined]


def test_writer_opens_with_o_append(tmp_path: Path) -> None:
    with EventWriter(tmp_path / "events.jsonl") as writer:
        assert writer._fd is not None
        import fcntl

        assert fcntl.fcntl(writer._fd, fcntl.F_GETFL) & os.O_APPEND


def test_closed_writer_refuses_and_close_is_idempotent(tmp_path: Path) -> None:
    writer = EventWriter(tmp_path / "events.jsonl")
    writer.close()
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.append("batch")


# --- parse_event_line and read_events -----------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param('{"type":"batch","time":1.5}', Batch(time=1.5), id="event"),
        pytest.param('{"type":"batch"}\n', Batch(), id="with-newline"),
        pytest.param('  {"type":"x"}  ', Event(type="x"), id="padded"),
        pytest.param("", None, id="empty"),
        pytest.param("   \n", None, id="blank"),
        pytest.param("not json", None, id="garbage"),
        pytest.param('{"type":"batch","ti', None, id="torn"),
        pytest.param("[1, 2]", None, id="list"),
        pytest.param("42", None, id="number"),
        pytest.param('"type"', None, id="string"),
        pytest.param('{"time": 1}', None, id="no-type"),
        pytest.param('{"type": 3}', None, id="type-not-string"),
        pytest.param('{"type":"batch","loss":null}', Batch(loss=None), id="null"),
    ],
)
def test_parse_event_line(line: str, expected: Event | None) -> None:
    assert parse_event_line(line) == expected


def test_read_events_missing_file_is_empty(tmp_path: Path) -> None:
    assert read_events(tmp_path / "nope.jsonl") == []


@pytest.mark.parametrize(
    ("data", "types"),
    [
        pytest.param(b"", [], id="empty"),
        pytest.param(b'{"type":"a"}\n{"type":"b"}\n', ["a", "b"], id="complete"),
        pytest.param(b'{"type":"a"}\n{"type":"b"}', ["a"], id="torn-but-valid-last-line"),
        pytest.param(b'{"type":"a"}\n{"type":"b","x":[1,', ["a"], id="torn-last-line"),
        pytest.param(b'{"type":"a"}\ngarbage\n\n[]\n{"type":"c"}\n', ["a", "c"], id="garbage"),
        pytest.param(b'\xff\xfe\n{"type":"a"}\n', ["a"], id="invalid-utf8"),
        pytest.param(b'{"type":"a"}\r\n{"type":"b"}\r\n', ["a", "b"], id="crlf"),
    ],
)
def test_read_events_tolerates_torn_and_garbage_lines(
    tmp_path: Path, data: bytes, types: list[str]
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)
    assert [event.type for event in read_events(path)] == types


# --- EventTail -----------------------------------------------------------------------------------


def test_tail_before_file_exists_then_incremental(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    tail = EventTail(path)
    assert tail.poll() == []
    with EventWriter(path) as writer:
        writer.append("run_started")
        assert [event.type for event in tail.poll()] == ["run_started"]
        assert tail.poll() == []
        writer.append("batch", step=1)
        writer.append("batch", step=2)
        assert [event.step for event in tail.poll()] == [1, 2]  # type: ignore[attr-defined]


def test_tail_buffers_a_line_written_in_two_chunks(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    event = {"type": "epoch_ended", "epoch": 1, "label": "ünïcode"}
    line = json.dumps(event, ensure_ascii=False).encode() + b"\n"
    cut = line.index("ï".encode()) + 1  # split inside a multi-byte character
    tail = EventTail(path)
    with open(path, "ab") as file:
        file.write(line[:cut])
        file.flush()
        assert tail.poll() == []
        file.write(line[cut:])
        file.flush()
    assert tail.poll() == [EpochEnded(epoch=1, extra={"label": "ünïcode"})]
    assert tail.poll() == []


def test_tail_starts_over_after_truncation(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"type":"a"}\n{"type":"b"}\n')
    tail = EventTail(path)
    assert len(tail.poll()) == 2
    path.write_bytes(b'{"type":"c"}\n')  # shorter than what was read: a new file
    assert [event.type for event in tail.poll()] == ["c"]


def test_tail_starts_over_after_replacement(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"type":"a"}\n')
    tail = EventTail(path)
    assert len(tail.poll()) == 1
    replacement = tmp_path / "new.jsonl"
    replacement.write_bytes(b'{"type":"x"}\n{"type":"y"}\n{"type":"z"}\n')
    os.replace(replacement, path)  # same or larger size, but a different file
    assert [event.type for event in tail.poll()] == ["x", "y", "z"]


def test_tail_starts_over_after_deletion(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"type":"a"}\n{"type":"partial')
    tail = EventTail(path)
    assert len(tail.poll()) == 1
    path.unlink()
    assert tail.poll() == []
    path.write_bytes(b'{"type":"b"}\n')
    assert [event.type for event in tail.poll()] == ["b"]


def test_tail_polls_the_events_of_a_writer_thread_in_order(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    count = 25

    def trainer() -> None:
        with EventWriter(path) as writer:
            for step in range(count):
                writer.append("batch", step=step)
                time.sleep(0.002)

    seen: list[int | None] = []
    thread = threading.Thread(target=trainer)
    thread.start()
    tail, deadline = EventTail(path), time.monotonic() + 10
    while len(seen) < count and time.monotonic() < deadline:
        seen += [event.step for event in tail.poll()]  # type: ignore[attr-defined]
        time.sleep(0.01)
    thread.join()
    assert seen == list(range(count))


# --- properties: any truncation or chunking -----------------------------------------------------


def _append_in_random_chunks(path: Path, content: bytes, data: st.DataObject) -> Iterator[None]:
    """Append `content` to `path` in chunks of sizes hypothesis draws, yielding after each."""
    position = 0
    with open(path, "ab") as file:
        while position < len(content):
            size = data.draw(st.integers(1, len(content) - position), label="chunk")
            file.write(content[position : position + size])
            file.flush()
            position += size
            yield


_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
_events = st.lists(
    st.tuples(
        st.sampled_from(["run_started", "batch", "epoch_ended", "finished", "ünï"]),
        st.dictionaries(
            st.text(max_size=8).filter(lambda key: key not in ("type", "time")), _values, max_size=4
        ),
    ),
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(events=_events, data=st.data())
def test_truncated_file_reads_as_a_prefix(
    events: list[tuple[str, dict[str, Any]]], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        # fsync is for power cuts, not for this property; skipping it keeps the examples fast.
        with EventWriter(path, fsync=False) as writer:
            # A fixed time keeps the file length the same when hypothesis replays an example.
            written = [
                writer.append(kind, time=1000.0 + index, **fields)
                for index, (kind, fields) in enumerate(events)
            ]
        content = path.read_bytes()
        cut = data.draw(st.integers(0, len(content)), label="cut")
        path.write_bytes(content[:cut])
        assert read_events(path) == _typed(*written[: content[:cut].count(b"\n")])


_line = st.one_of(
    st.builds(
        lambda kind, step: json.dumps({"type": kind, "step": step}, ensure_ascii=False),
        st.text(min_size=1, max_size=6),
        st.integers(),
    ),
    st.text(max_size=12).map(lambda text: text.replace("\n", " ")),  # garbage lines
)


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(_line, max_size=10), tail_text=st.text(max_size=10), data=st.data())
def test_tail_in_random_chunks_yields_exactly_the_complete_lines(
    lines: list[str], tail_text: str, data: st.DataObject
) -> None:
    content = "".join(line + "\n" for line in lines).encode() + tail_text.replace("\n", "").encode()
    expected = [event for line in lines if (event := parse_event_line(line)) is not None]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        tail = EventTail(path)
        seen = tail.poll()
        for _ in _append_in_random_chunks(path, content, data):
            seen += tail.poll()
        assert seen == expected
        assert read_events(path) == expected


# --- SummaryTail: a summary's events without parsing every batch line ---------------------------

_STARTED_LINE = '{"type":"run_started","time":1,"epochs":3,"config":{"preset":"fast"}}'


def _batch_line(time: float, step: int, spaced: bool = False) -> str:
    text = json.dumps({"type": "batch", "time": time, "step": step})
    return text if spaced else text.replace(", ", ",").replace(": ", ":")


def _epoch_line(time: float, epoch: int, val: float) -> str:
    event = {"type": "epoch_ended", "time": time, "epoch": epoch, "epochs": 3}
    return json.dumps({**event, "val_accuracy": val, "test_accuracy": val}, separators=(",", ":"))


@pytest.mark.parametrize(
    ("lines", "torn"),
    [
        pytest.param([], "", id="empty"),
        pytest.param([_STARTED_LINE, _batch_line(2, 1), _batch_line(3, 2)], "", id="a-batch-last"),
        pytest.param(
            [_STARTED_LINE, _batch_line(2, 1), _epoch_line(4, 1, 0.5)], "", id="an-epoch-last"
        ),
        pytest.param(
            [_STARTED_LINE, _batch_line(2, 1), _epoch_line(4, 1, 0.5), _batch_line(5, 1)],
            "",
            id="epoch-batch",
        ),
        pytest.param(
            [_STARTED_LINE, _batch_line(2, 1), "garbage", "[1]"], "", id="garbage-after-a-batch"
        ),
        pytest.param(
            [_STARTED_LINE, _batch_line(2, 1), '{"type":"batch",oops'], "", id="a-torn-batch-line"
        ),
        pytest.param([_STARTED_LINE, _batch_line(2, 1, spaced=True)], "", id="a-hand-spaced-batch"),
        pytest.param([_batch_line(2, 1), _batch_line(3, 2)], "", id="only-batches"),
        pytest.param(
            [_STARTED_LINE, _batch_line(2, 1)], '{"type":"finished","ti', id="a-torn-last-line"
        ),
        pytest.param(
            [
                _STARTED_LINE,
                _epoch_line(4, 1, 0.5),
                _batch_line(5, 1),
                '{"type":"failed","time":6,"message":"x"}',
            ],
            "",
            id="failed",
        ),  # fmt: skip
    ],
)
@pytest.mark.parametrize("alive", [False, True])
def test_summary_tail_summarizes_as_a_full_read(
    tmp_path: Path, lines: list[str], torn: str, alive: bool
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("".join(line + "\n" for line in lines) + torn)
    full = read_events(path)
    kept = SummaryTail(path).events()
    assert summarize_events(kept, alive) == summarize_events(full, alive)
    assert all(event.type != "batch" for event in kept[:-1])  # only the last may be a batch


def test_summary_tail_reads_on_and_starts_over_for_a_new_file(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(_STARTED_LINE + "\n" + _batch_line(2, 1) + "\n")
    reader = SummaryTail(path)
    assert [event.type for event in reader.events()] == ["run_started", "batch"]
    with open(path, "a") as file:
        file.write(
            _epoch_line(3, 1, 0.5) + "\n" + _batch_line(4, 1) + "\n" + _batch_line(5, 2) + "\n"
        )
    assert [(event.type, event.time) for event in reader.events()] == [
        ("run_started", 1), ("epoch_ended", 3), ("batch", 5)]  # fmt: skip
    assert [event.time for event in reader.events()] == [1, 3, 5]  # nothing new: the same
    replacement = tmp_path / "new.jsonl"
    replacement.write_text(_STARTED_LINE + "\n")
    os.replace(replacement, path)
    assert [event.type for event in reader.events()] == ["run_started"]  # not twice
    path.unlink()
    assert reader.events() == []


_summary_line = st.sampled_from(
    [_STARTED_LINE, _batch_line(2, 1), _batch_line(3, 2, spaced=True), _epoch_line(4, 1, 0.4),
     _epoch_line(5, 2, 0.6),
     '{"type":"predictions_saved","time":6,"test_accuracy":0.7}', '{"type":"finished","time":7}',
     '{"type":"failed","time":8,"error":"E"}', '{"type":"batch",torn', "garbage", "[]"]
)  # fmt: skip


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(_summary_line, max_size=12), data=st.data())
def test_summary_tail_in_random_chunks_summarizes_as_a_full_read(
    lines: list[str], data: st.DataObject
) -> None:
    content = "".join(line + "\n" for line in lines).encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        reader = SummaryTail(path)
        for _ in _append_in_random_chunks(path, content, data):
            # Summarized at any moment, as the runs list does every 2 s: as a full read.
            assert summarize_events(reader.events()) == summarize_events(read_events(path))


# --- summarize_events ----------------------------------------------------------------------------

STARTED = {
    "type": "run_started",
    "time": 100.0,
    "epochs": 5,
    "initial_epoch": 0,
    "strategy": "mirrored",
    "replicas": 2,
    "config": {"preset": "fast", "epochs": 5},
}


def _epoch(epoch: int, val: Any, when: float, **extra: Any) -> dict[str, Any]:
    return {
        "type": "epoch_ended",
        "time": when,
        "epoch": epoch,
        "epochs": 5,
        "val_accuracy": val,
        **extra,
    }


FAILED = {"type": "failed", "time": 400.0, "epoch": 2, "error": "OSError", "message": "disk full"}


@pytest.mark.parametrize(
    ("events", "lock_alive", "lock_started", "status"),
    [
        pytest.param([], False, None, "created", id="no-events"),
        pytest.param([], True, None, "running", id="locked-before-first-event"),
        pytest.param([STARTED, _epoch(1, 0.5, 200)], True, None, "running", id="running"),
        pytest.param([STARTED, _epoch(1, 0.5, 200)], False, None, "interrupted", id="killed"),
        pytest.param(
            [STARTED, {"type": "finished", "time": 300.0}], False, None, "finished", id="finished"
        ),
        pytest.param(
            [STARTED, {"type": "stopped", "time": 300.0}], False, None, "stopped", id="stopped"
        ),
        pytest.param([STARTED, FAILED], False, None, "failed", id="failed"),
        pytest.param(
            [STARTED, {"type": "finished", "time": 300.0}],
            True,
            90.0,
            "finished",
            id="trainer-exiting-after-finish",
        ),
        pytest.param(
            [STARTED, {"type": "stopped", "time": 300.0}],
            True,
            500.0,
            "running",
            id="resume-starting-after-stop",
        ),
        pytest.param(
            [STARTED, {"type": "stopped", "time": 300.0}],
            True,
            None,
            "running",
            id="live-lock-unknown-start",
        ),
    ],
)
def test_summarize_status(
    events: list[dict[str, Any]], lock_alive: bool, lock_started: float | None, status: str
) -> None:
    summary = summarize_events(_typed(*events), lock_alive, name="r", lock_started=lock_started)
    assert summary.status == status
    assert summary.status in STATUSES
    assert summary.name == "r" and summary.path == Path("r")


def test_summarize_numbers() -> None:
    events = [
        STARTED,
        _epoch(1, 0.40, 200.0),
        _epoch(2, 0.61, 300.0, test_accuracy=0.58),
        _epoch(3, 0.55, 400.0),
        {"type": "predictions_saved", "time": 410.0, "epoch": 3, "test_accuracy": 0.6},
        {"type": "batch", "time": 450.0, "epoch": 4, "step": 3},
    ]
    summary = summarize_events(_typed(*events), False, name="r", path=Path("/m/r"))
    assert summary.status == "interrupted"
    assert (summary.epochs_done, summary.epochs_total) == (3, 5)
    assert (summary.best_val_accuracy, summary.best_epoch) == (0.61, 2)
    assert summary.test_accuracy == 0.6
    assert (summary.started, summary.updated) == (100.0, 450.0)
    assert (summary.strategy, summary.replicas, summary.preset) == ("mirrored", 2, "fast")
    assert summary.message is None
    assert summary.path == Path("/m/r")


def test_summarize_failed_message_and_no_message_otherwise() -> None:
    assert summarize_events(_typed(STARTED, FAILED)).message == "disk full"
    no_message = {"type": "failed", "time": 1.0, "error": "ResourceExhaustedError"}
    assert summarize_events(_typed(STARTED, no_message)).message == "ResourceExhaustedError"
    assert summarize_events(_typed(STARTED, {"type": "failed"})).message == "failed"
    assert summarize_events(_typed(STARTED, {"type": "stopped", "time": 2.0})).message is None


def test_summarize_resume_continues_from_initial_epoch() -> None:
    resumed = {**STARTED, "time": 500.0, "initial_epoch": 2, "epochs": 8, "replicas": 1}
    events = [
        STARTED,
        _epoch(1, 0.4, 200),
        _epoch(2, 0.5, 300),
        _epoch(3, 0.52, 350),
        {"type": "stopped", "time": 360.0},
        resumed,
    ]
    summary = summarize_events(_typed(*events), True, lock_started=450.0)
    assert summary.status == "running"
    # The resume restarted from the epoch-2 checkpoint, so epoch 3 must be trained again.
    assert (summary.epochs_done, summary.epochs_total) == (2, 8)
    assert summary.started == 100.0 and summary.replicas == 1


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param({"epoch": "three", "val_accuracy": "high"}, id="strings"),
        pytest.param({"epoch": True, "val_accuracy": None}, id="bool-and-null"),
        pytest.param({"epoch": 2.5, "val_accuracy": float("nan")}, id="fraction-and-nan"),
        pytest.param({"epoch": None, "val_accuracy": [0.9]}, id="list"),
    ],
)
def test_summarize_ignores_garbage_fields(bad: dict[str, Any]) -> None:
    events = [STARTED, _epoch(1, 0.4, 200.0), {"type": "epoch_ended", "time": "noon", **bad}]
    summary = summarize_events(_typed(*events))
    assert (summary.epochs_done, summary.best_val_accuracy, summary.best_epoch) == (1, 0.4, 1)
    assert summary.updated == 200.0
    assert all(not (isinstance(x, float) and math.isnan(x)) for x in vars(summary).values())


def test_terminal_events() -> None:
    assert TERMINAL_EVENTS == {"finished", "stopped", "failed"}


def _after_last_batch(events: list[Event]) -> tuple[Any, int]:
    """The last batch event and how many events follow it."""
    indices = [index for index, event in enumerate(events) if event.type == "batch"]
    return (events[indices[-1]], len(events) - indices[-1] - 1) if indices else (None, 0)


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(_summary_line, max_size=12), data=st.data())
def test_polling_the_latest_batch_only_keeps_what_the_monitor_shows(
    lines: list[str], data: st.DataObject
) -> None:
    # The monitor shows every other event and, of each poll's batch events, the last one.
    content = "".join(line + "\n" for line in lines).encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        brief, full = EventTail(path), EventTail(path)
        for _ in _append_in_random_chunks(path, content, data):
            kept, every = brief.poll(latest_batch_only=True), full.poll()
            assert [e for e in kept if e.type != "batch"] == [e for e in every if e.type != "batch"]
            assert _after_last_batch(kept) == _after_last_batch(every)
            assert all(event in every for event in kept)


def test_read_events_can_leave_out_the_batch_events_but_the_last(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [_STARTED_LINE, _batch_line(2, 1), _epoch_line(3, 1, 0.5), _batch_line(4, 1),
             _batch_line(5, 2), _batch_line(6, 3, spaced=True), '{"type":"batch",torn']  # fmt: skip
    path.write_text("".join(line + "\n" for line in lines))
    kept = read_events(path, latest_batch_only=True)
    assert [(event.type, event.time) for event in kept] == [
        ("run_started", 1), ("epoch_ended", 3), ("batch", 5), ("batch", 6)]  # fmt: skip
    assert kept == EventTail(path).poll(latest_batch_only=True)
