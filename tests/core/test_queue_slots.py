"""Slot planning of the queue (core/queue/slots.py): which queued runs start, on which devices."""

from __future__ import annotations

import pytest

from cifar_tui.core.queue.slots import Waiting, devices_used, parse_devices, plan_starts

W = Waiting

PLANS = [
    # (id, waiting, running, gpus, per_gpu, started, impossible names)
    ("cpu-only: one at a time", [W("a", "auto"), W("b", "auto")], [], 0, 1, [("a", None)], []),
    ("cpu-only: busy", [W("a", "auto")], [("cpu",)], 0, 1, [], []),
    ("cpu-only: per-gpu does not share the cpu", [W("a", "cpu")], [("cpu",)], 0, 4, [], []),
    (
        "cpu-only: a pinned gpu never fits",
        [W("a", "1"), W("b", "auto")],
        [],
        0,
        1,
        [("b", None)],
        ["a"],
    ),
    (
        "2 gpus, none busy: auto takes 0 then 1",
        [W("a", "auto"), W("b", "auto"), W("c", "auto")],
        [],
        2,
        1,
        [("a", "0"), ("b", "1")],
        [],
    ),
    (
        "2 gpus, gpu 0 busy: auto takes 1",
        [W("a", "auto"), W("b", "auto")],
        [(0,)],
        2,
        1,
        [("a", "1")],
        [],
    ),
    (
        "2 gpus x 2 per gpu, gpu 0 busy once",
        [W("a", "auto"), W("b", "auto"), W("c", "auto")],
        [(0,)],
        2,
        2,
        [("a", "1"), ("b", "0"), ("c", "1")],
        [],
    ),
    (
        "pinned to a busy gpu waits; later auto takes the other",
        [W("a", "0"), W("b", "auto")],
        [(0,)],
        2,
        1,
        [("b", "1")],
        [],
    ),
    (
        "pinned waits and keeps its gpu from runs behind it",
        [W("a", "1"), W("b", "auto")],
        [(1,)],
        2,
        1,
        [("b", "0")],
        [],
    ),
    (
        "a waiting pinned run is not overtaken on its gpu",
        [W("a", "0,1"), W("b", "1")],
        [(0,)],
        2,
        1,
        [],
        [],
    ),
    ("pinned to two free gpus", [W("a", "0,1"), W("b", "auto")], [], 2, 1, [("a", None)], []),
    ("pinned past the last gpu", [W("a", "3"), W("b", "1")], [], 2, 1, [("b", None)], ["a"]),
    (
        "cpu run on a gpu machine uses the cpu slot",
        [W("a", "cpu"), W("b", "cpu"), W("c", "auto")],
        [],
        1,
        1,
        [("a", None), ("c", "0")],
        [],
    ),
    (
        "mirrored auto needs every gpu",
        [W("a", "auto", "mirrored"), W("b", "auto")],
        [(1,)],
        2,
        1,
        [],
        [],
    ),
    ("mirrored auto on free gpus", [W("a", "auto", "mirrored")], [], 2, 1, [("a", None)], []),
]


@pytest.mark.parametrize(
    ("waiting", "running", "gpus", "per_gpu", "started", "impossible"),
    [case[1:] for case in PLANS],
    ids=[case[0] for case in PLANS],
)
def test_plan_starts(waiting, running, gpus, per_gpu, started, impossible) -> None:
    plan = plan_starts(waiting, running, gpus, per_gpu)
    assert plan.start == started
    assert [name for name, _ in plan.impossible] == impossible


def test_impossible_says_why() -> None:
    plan = plan_starts([W("a", "2")], [], 2)
    assert plan.impossible == [("a", "asks for GPU 2; this machine has GPUs 0-1")]


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("auto", "auto"),
        ("CPU", "cpu"),
        ("", "auto"),
        ("1", (1,)),
        ("0,2", (0, 2)),
        ([1, 3], (1, 3)),
        (2, (2,)),
        ("x", "auto"),
        ("-1", "auto"),
        (None, "auto"),
    ],
)
def test_parse_devices(value: object, parsed: object) -> None:
    assert parse_devices(value) == parsed


@pytest.mark.parametrize(
    ("devices", "strategy", "gpus", "used"),
    [
        ("auto", "one-device", 2, (0,)),
        ("auto", "mirrored", 2, (0, 1)),
        ("1", "one-device", 2, (1,)),
        ("cpu", "one-device", 2, ("cpu",)),
        ("1", "one-device", 0, ("cpu",)),
        (None, "one-device", 0, ("cpu",)),
    ],
)
def test_devices_used(devices: object, strategy: str, gpus: int, used: tuple) -> None:
    assert devices_used(devices, strategy, gpus) == used
