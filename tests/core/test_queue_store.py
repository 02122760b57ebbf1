"""The queue's files (core/queue/store.py): round trips, order, names, and torn writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cifar_tui.core.errors import UserError
from cifar_tui.core.presets import preset
from cifar_tui.core.queue import store
from cifar_tui.core.queue.claims import Claim
from cifar_tui.core.queue.settings import read_per_gpu, write_per_gpu
from cifar_tui.core.rundir import atomic

FAST = preset("fast")


def names(models_dir: Path) -> list[str]:
    return [run.name for run in store.queued(models_dir)]


def test_round_trip(tmp_path: Path) -> None:
    config = FAST.replace(learning_rate=0.05, seed=3, devices="1", dropout=[0.1, 0.2, 0.3])
    assert store.enqueue(tmp_path, [("a", config), ("b", FAST)], "/data/cifar") == ["a", "b"]
    runs = store.queued(tmp_path)
    assert [(run.name, run.position) for run in runs] == [("a", 1), ("b", 2)]
    assert runs[0].config == config
    assert runs[0].devices == "1"
    assert runs[0].preset == "fast"
    assert runs[0].data_dir == "/data/cifar"
    assert runs[0].failed is None
    assert runs[1].config == FAST


def test_later_adds_go_last(tmp_path: Path) -> None:
    store.enqueue(tmp_path, [("a", FAST)], None)
    store.enqueue(tmp_path, [("b", FAST), ("c", FAST)], None)
    assert names(tmp_path) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("run", "position", "order"),
    [
        ("c", 1, ["c", "a", "b", "d"]),
        ("a", 3, ["b", "c", "a", "d"]),
        ("a", 99, ["b", "c", "d", "a"]),
        ("d", 2, ["a", "d", "b", "c"]),
        ("b", 2, ["a", "b", "c", "d"]),
    ],
)
def test_move(tmp_path: Path, run: str, position: int, order: list[str]) -> None:
    store.enqueue(tmp_path, [(name, FAST) for name in "abcd"], None)
    store.move(tmp_path, run, position)
    assert names(tmp_path) == order


def test_many_moves_to_the_top_renumber(tmp_path: Path) -> None:
    store.enqueue(tmp_path, [(name, FAST) for name in "abc"], None)
    expected = ["a", "b", "c"]
    for _ in range(30):  # halving the gap under the first key runs out after ~10 moves
        store.move(tmp_path, expected[-1], 1)
        expected = [expected[-1], *expected[:-1]]
        assert names(tmp_path) == expected


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("a", FAST), ("a", FAST)], "already queued"),
        ([("ok", FAST), ("../up", FAST)], "bad run name"),
        ([("ok", FAST), (".hidden", FAST)], "bad run name"),
        ([("queued", FAST)], "already queued"),
        ([("existing", FAST)], "already exists"),
    ],
)
def test_bad_names_queue_nothing(tmp_path: Path, entries: list, message: str) -> None:
    store.enqueue(tmp_path, [("queued", FAST)], None)
    (tmp_path / "existing").mkdir()
    with pytest.raises(UserError, match=message):
        store.enqueue(tmp_path, entries, None)
    assert names(tmp_path) == ["queued"]


def test_an_invalid_config_queues_nothing(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="learning_rate"):
        store.enqueue(tmp_path, [("a", FAST), ("b", FAST.replace(learning_rate=-1.0))], None)
    assert names(tmp_path) == []


def test_remove(tmp_path: Path) -> None:
    store.enqueue(tmp_path, [("a", FAST), ("b", FAST)], None)
    store.remove(tmp_path, "a")
    assert names(tmp_path) == ["b"]
    with pytest.raises(UserError, match="not queued"):
        store.remove(tmp_path, "a")


def test_a_starting_run_cannot_be_removed(tmp_path: Path) -> None:
    store.enqueue(tmp_path, [("a", FAST)], None)
    claim = Claim.take(tmp_path, "a", ["cpu"])
    assert claim is not None
    with pytest.raises(UserError, match="starting"):
        store.remove(tmp_path, "a")
    claim.release(remove=True)
    store.remove(tmp_path, "a")
    assert names(tmp_path) == []


def test_mark_failed_keeps_the_place_and_says_why(tmp_path: Path) -> None:
    store.enqueue(tmp_path, [("a", FAST), ("b", FAST)], None)
    first = store.queued(tmp_path)[0]
    store.mark_failed(tmp_path, first, "trainer exited with code 2: no CIFAR-10")
    again = store.queued(tmp_path)[0]
    assert (again.name, again.position, again.added) == ("a", 1, first.added)
    assert again.failed == "trainer exited with code 2: no CIFAR-10"


def test_a_torn_write_leaves_the_old_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store.enqueue(tmp_path, [("a", FAST)], None)
    before = sorted(os.listdir(store.queue_dir(tmp_path)))

    def power_cut(fd: int) -> None:  # the write got as far as its temp file
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic.os, "fsync", power_cut)
    with pytest.raises(OSError):
        store.enqueue(tmp_path, [("b", FAST)], None)
    with pytest.raises(OSError):
        store.mark_failed(tmp_path, store.queued(tmp_path)[0], "boom")
    monkeypatch.undo()
    assert sorted(os.listdir(store.queue_dir(tmp_path))) == before
    assert [(run.name, run.failed) for run in store.queued(tmp_path)] == [("a", None)]


def test_leftovers_and_garbage_are_not_queued_runs(tmp_path: Path) -> None:
    store.enqueue(tmp_path, [("a", FAST)], None)
    folder = store.queue_dir(tmp_path)
    (folder / ".001024-a.toml.0123abcd.tmp").write_text("half")  # a killed writer's temp file
    (folder / "002048-b.toml").write_text("not toml [[[")
    (folder / "003072-c.toml").write_text("")  # a kill -9 between create and write, elsewhere
    (folder / "notes.txt").write_text("hi")
    assert names(tmp_path) == ["a"]


def test_per_gpu_setting(tmp_path: Path) -> None:
    assert read_per_gpu(tmp_path) == 1
    write_per_gpu(tmp_path, 3)
    assert read_per_gpu(tmp_path) == 3
    with pytest.raises(UserError, match="per-gpu"):
        write_per_gpu(tmp_path, 0)
    (store.queue_dir(tmp_path) / "settings.toml").write_text("per_gpu = 'x'")
    assert read_per_gpu(tmp_path) == 1
