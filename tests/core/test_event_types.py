"""Typed events: how a line's fields are read, which lines are kept, and the one status rule."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from cifar_tui.core.rundir.event_types import (
    Batch,
    CheckpointSaved,
    EpochEnded,
    Event,
    Failed,
    Finished,
    PredictionsSaved,
    RunStarted,
    Stopped,
    event_from_dict,
)
from cifar_tui.core.rundir.events import parse_event_line
from cifar_tui.core.rundir.fields import finite_number, text_or_none, whole_number
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.live import read_log_tail, trainer_running
from cifar_tui.core.rundir.status import RESUMABLE_STATUSES, STATUSES, run_status

# --- fields: the one reading of untrusted values ----------------------------------------------


@pytest.mark.parametrize(
    ("value", "number", "whole"),
    [
        pytest.param(3, 3.0, 3, id="int"),
        pytest.param(2.0, 2.0, 2, id="whole-float"),
        pytest.param(2.5, 2.5, None, id="fraction"),
        pytest.param(-0.25, -0.25, None, id="negative"),
        pytest.param(float("nan"), None, None, id="nan"),
        pytest.param(float("inf"), None, None, id="inf"),
        pytest.param(-float("inf"), None, None, id="minus-inf"),
        pytest.param(True, None, None, id="bool"),
        pytest.param("3", None, None, id="string"),
        pytest.param(None, None, None, id="null"),
        pytest.param([1], None, None, id="list"),
        pytest.param({"a": 1}, None, None, id="table"),
        pytest.param(10**400, None, 10**400, id="int-beyond-float"),
    ],
)
def test_finite_and_whole_numbers(value: Any, number: float | None, whole: int | None) -> None:
    assert finite_number(value) == number
    assert whole_number(value) == whole


@pytest.mark.parametrize(
    ("value", "text"), [("a b", "a b"), ("", ""), (3, None), (None, None), (["a"], None)]
)
def test_text_or_none(value: Any, text: str | None) -> None:
    assert text_or_none(value) == text


# --- lines into typed events ------------------------------------------------------------------

LINES: dict[str, tuple[str, Event | None]] = {
    # case: (line, the event it reads as)
    "run-started": (
        '{"type":"run_started","time":1.5,"epochs":10,"initial_epoch":2,"strategy":"default",'
        '"replicas":1,"config":{"preset":"fast"},"resumed":true,"data_source":"/d"}',
        RunStarted(time=1.5, epochs=10, initial_epoch=2, strategy="default", replicas=1,
                   config={"preset": "fast"}, resumed=True, data_source="/d")),
    "batch": (
        '{"type":"batch","time":2,"epoch":1,"step":10,"steps":352,"loss":2.1,"accuracy":0.2,'
        '"images_per_second":1500.5}',
        Batch(time=2.0, epoch=1, step=10, steps=352, loss=2.1, accuracy=0.2,
              images_per_second=1500.5)),
    "epoch-ended": (
        '{"type":"epoch_ended","time":3,"epoch":1,"epochs":10,"val_accuracy":0.5,'
        '"partial":false}',
        EpochEnded(time=3.0, epoch=1, epochs=10, val_accuracy=0.5, partial=False)),
    "checkpoint-saved": (
        '{"type":"checkpoint_saved","epoch":1,"step":0,"path":"checkpoint/e.npz"}',
        CheckpointSaved(epoch=1, step=0, path="checkpoint/e.npz")),
    "predictions-saved": (
        '{"type":"predictions_saved","epoch":1,"test_accuracy":0.7,"test_loss":0.9}',
        PredictionsSaved(epoch=1, test_accuracy=0.7, test_loss=0.9)),
    "finished": ('{"type":"finished","epoch":3,"seconds":90}', Finished(epoch=3, seconds=90.0)),
    "stopped": ('{"type":"stopped","epoch":1,"step":5,"reason":"x"}',
                Stopped(epoch=1, step=5, reason="x")),
    "failed": ('{"type":"failed","error":"E","message":"m","log_tail":["a",2]}',
               Failed(error="E", message="m", log_tail=("a", "2"))),
    # Numbers that are not finite, and fields of the wrong type, read as None.
    "nan-and-infinity": (
        '{"type":"epoch_ended","epoch":1,"loss":NaN,"val_loss":Infinity,"accuracy":-Infinity}',
        EpochEnded(epoch=1)),
    "bools-and-strings-as-numbers": (
        '{"type":"batch","epoch":true,"step":"3","loss":"low","time":"noon"}', Batch()),
    "fractions-as-counts": ('{"type":"batch","epoch":1.5,"step":2.0}', Batch(step=2)),
    "wrong-types": (
        '{"type":"run_started","config":"recipe","device":{"gpu":1},"strategy":["a"],'
        '"replicas":"x","resumed":1}',
        RunStarted()),
    "failed-message-not-text": ('{"type":"failed","message":{"what":1},"log_tail":5}', Failed()),
    # A required field missing: kept, as a plain event that still counts for status and time.
    "epoch-ended-without-epoch": (
        '{"type":"epoch_ended","time":4,"epoch":"2","val_accuracy":0.5}',
        Event(type="epoch_ended", time=4.0, extra={"epoch": "2", "val_accuracy": 0.5})),
    # Fields and types of a newer writer are kept.
    "unknown-field-kept": ('{"type":"batch","step":1,"gpu_temperature":71}',
                           Batch(step=1, extra={"gpu_temperature": 71})),
    "unknown-type-kept": ('{"type":"lr_changed","time":5,"to":0.1}',
                          Event(type="lr_changed", time=5.0, extra={"to": 0.1})),
    # Lines as older writers (or hands) wrote them.
    "spaced-json": ('{"type": "finished", "time": 6, "test_accuracy": 0.8}',
                    Finished(time=6.0, test_accuracy=0.8)),
    "no-time": ('{"type":"stopped"}', Stopped()),
    "failed-with-error-only": ('{"type":"failed","error":"OSError"}', Failed(error="OSError")),
    "preset-in-a-table": ('{"type":"run_started","config":{"model":{"preset":"fast"}}}',
                          RunStarted(config={"model": {"preset": "fast"}})),
    # Lines that are no event at all.
    "no-type": ('{"time":1}', None),
    "type-not-text": ('{"type":3}', None),
    "not-an-object": ("[1, 2]", None),
    "garbage": ("\x00garbage", None),
    "torn": ('{"type":"batch","ti', None),
    "blank": ("  ", None),
}  # fmt: skip


@pytest.mark.parametrize(("line", "expected"), LINES.values(), ids=LINES)
def test_a_line_reads_as_its_typed_event(line: str, expected: Event | None) -> None:
    event = parse_event_line(line)
    assert event == expected
    if expected is not None:
        assert type(event) is type(expected)


def test_typed_fields_are_the_checked_ones() -> None:
    started = event_from_dict({"type": "run_started", "config": {"model": {"preset": "fast"}}})
    assert isinstance(started, RunStarted) and started.preset == "fast"
    assert RunStarted(config={"preset": "top", "x": {"preset": "no"}}).preset == "top"
    assert RunStarted(config={"preset": 3}).preset is None
    assert Failed(message="", error="E").summary == "E" and Failed().summary is None
    assert [Event(type=kind).terminal for kind in ("finished", "stopped", "failed", "batch")] == [
        True, True, True, False]  # fmt: skip


def test_events_are_frozen_and_hashable() -> None:
    event = Batch(step=1, extra={"x": 1})
    with pytest.raises(AttributeError):
        event.step = 2  # type: ignore[misc]
    assert {event: 1}[Batch(step=1, extra={"x": 1})] == 1


# --- the one status rule ----------------------------------------------------------------------

STARTED = RunStarted(time=100.0)
LAST: dict[str, Event] = {
    kind: cls(time=300.0)
    for kind, cls in (("finished", Finished), ("stopped", Stopped), ("failed", Failed))
}


@pytest.mark.parametrize(
    ("last", "lock_alive", "lock_started", "status"),
    [
        pytest.param(None, False, None, "created", id="created"),
        pytest.param(None, True, 50.0, "running", id="locked-before-the-first-event"),
        pytest.param(STARTED, True, 50.0, "running", id="running"),
        pytest.param(Batch(time=200.0), True, None, "running", id="running-lock-time-unknown"),
        pytest.param(LAST["finished"], False, None, "finished", id="finished"),
        pytest.param(LAST["stopped"], False, None, "stopped", id="stopped"),
        pytest.param(LAST["failed"], False, None, "failed", id="failed"),
        pytest.param(Batch(time=200.0), False, None, "interrupted", id="interrupted"),
        pytest.param(Event(type="lr_changed"), False, None, "interrupted", id="unknown-last"),
        pytest.param(
            LAST["finished"], True, 90.0, "finished", id="terminal-event-after-lock-start"),
        pytest.param(LAST["failed"], True, 300.0, "failed", id="terminal-event-at-lock-start"),
        pytest.param(LAST["stopped"], True, 500.0, "running", id="resume-locked-after-stop"),
        pytest.param(LAST["stopped"], True, None, "running", id="terminal-lock-time-unknown"),
        pytest.param(Stopped(), True, 90.0, "running", id="terminal-event-without-time"),
        pytest.param(LAST["finished"], True, float("nan"), "running", id="lock-time-nan"),
    ],
)  # fmt: skip
def test_run_status(
    last: Event | None, lock_alive: bool, lock_started: float | None, status: str
) -> None:
    assert run_status(last, lock_alive, lock_started) == status
    assert status in STATUSES


def test_resumable_statuses_are_statuses() -> None:
    assert set(RESUMABLE_STATUSES) == {"stopped", "interrupted", "failed"}
    assert set(RESUMABLE_STATUSES) <= set(STATUSES)


def _lock_here(run: RunFolder, started: float) -> None:
    run.path.mkdir(exist_ok=True)
    run.lock_path.write_text(
        f'{{"pid": {os.getpid()}, "host": "{socket.gethostname()}", "started": {started}}}'
    )


def test_trainer_running_reads_the_lock_as_run_status_does(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "r")
    assert not trainer_running(run, None)  # no folder, no lock
    _lock_here(run, time.time())
    assert trainer_running(run, None) and trainer_running(run, Batch(time=1.0))
    assert not trainer_running(run, Finished(time=time.time() + 1))  # only exiting
    assert trainer_running(run, Finished(time=1.0))  # an older segment's end: resumed since


# --- the log's last lines ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lines", "expected"),
    [
        ("a\nb\n\n  \nc\n", 12, ["a", "b", "c"]),
        ("a\nb\nc", 2, ["b", "c"]),
        ("", 12, []),
        ("x" * 9000 + "\nend\n", 12, ["x" * (8192 - 5), "end"]),  # only the last 8 KiB
        ("caf\xe9 \ufffd\n", 12, ["caf\xe9 \ufffd"]),
    ],
)
def test_read_log_tail(tmp_path: Path, text: str, lines: int, expected: list[str]) -> None:
    path = tmp_path / "trainer.log"
    path.write_text(text, encoding="utf-8")
    assert read_log_tail(path, lines) == expected


def test_read_log_tail_of_a_missing_or_unreadable_log_is_empty(tmp_path: Path) -> None:
    assert read_log_tail(tmp_path / "missing.log") == []
    assert read_log_tail(tmp_path) == []  # a folder
