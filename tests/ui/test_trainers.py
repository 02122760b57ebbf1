"""The app's book of the trainers it started (ui/trainers.py): no Textual, no processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.host import launcher
from cifar_tui.core.rundir.summary import RunSummary
from cifar_tui.ui.trainers import Launch, Trainers, resume_refusal


def summary(status: str) -> RunSummary:
    return RunSummary(
        name="r1", path=Path("models/r1"), status=status, epochs_done=1, epochs_total=3,
        best_val_accuracy=None, best_epoch=None, test_accuracy=None, started=None,
        updated=None, strategy=None, replicas=None, preset=None, message=None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "refusal"),
    [
        ("stopped", None),
        ("interrupted", None),
        ("failed", None),
        ("running", "it is still training"),
        ("created", "it has no checkpoint yet"),
        ("finished", "it finished; train it further with `cifar-tui train --resume r1 --epochs N`"),
    ],
)
def test_only_a_run_that_ended_early_is_resumed(status: str, refusal: str | None) -> None:
    assert resume_refusal(summary(status)) == refusal


@pytest.fixture
def trainers(monkeypatch: pytest.MonkeyPatch) -> Trainers:
    """A book whose spawns hand out pids 100, 101, ... without starting anything."""
    pids = iter(range(100, 200))

    def spawn(name: str) -> launcher.LaunchedRun:
        return launcher.LaunchedRun(name, next(pids), Path("models") / name, Path("log"))

    monkeypatch.setattr(launcher, "spawn_resume", lambda name, models, data: spawn(name))
    monkeypatch.setattr(
        launcher, "spawn_training", lambda config, models, data, name: spawn(name or "fresh")
    )
    return Trainers(Path("models"), None)


def test_each_launch_is_a_new_value(trainers: Trainers) -> None:
    trainers.start(TrainConfig(), "a", None)
    first = trainers.launches
    trainers.resume("a")  # the same run again: its record differs, so a watcher hears of it
    second = trainers.launches
    assert first == {"a": Launch(pid=100, number=0, resumed=False)}
    assert second == {"a": Launch(pid=101, number=1, resumed=True)}
    assert trainers.launched["a"].pid == 101


def test_a_failure_is_recorded_without_touching_the_copies_handed_out(trainers: Trainers) -> None:
    trainers.start(TrainConfig(), None, None)
    before = trainers.launches
    trainers.failed("fresh", "trainer exited with code 2")
    assert before["fresh"].error is None
    assert trainers.launches["fresh"] == Launch(100, 0, False, "trainer exited with code 2")
