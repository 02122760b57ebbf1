"""The training monitor over fixture runs: history, live appends, failures, status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from run_fixtures import fake_events
from textual.message import Message
from ui_support import FAILED, FINISHED, RUNNING, STOPPED, wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.runs import EventWriter, RunFolder, create_run_folder
from cifar_tui.messages import BatchProgress, EpochEnded, RunFinished
from cifar_tui.ui.widgets.curves_pane import CurvesPane, epoch_ticks, value_ticks
from cifar_tui.ui.widgets.epoch_table import BEST, EpochTable
from cifar_tui.ui.widgets.progress_panel import ProgressPanel, bar, format_duration
from cifar_tui.ui.widgets.run_monitor import RunMonitor, messages_for_events


async def test_opening_a_finished_run_plots_every_epoch(
    app_factory: Callable[..., CifarApp],
) -> None:
    seen: list[Message] = []
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        await wait_for(pilot, lambda: app.screen.query_one(CurvesPane).epochs_plotted == 10)
        assert len({id(m) for m in seen if isinstance(m, EpochEnded)}) == 10
        assert len({id(m) for m in seen if isinstance(m, RunFinished)}) == 1
        table = app.screen.query_one(EpochTable)
        assert table.row_count == 10
        # Validation accuracy peaks at epoch 8 in the seed-0 fixture, and the star marks it.
        assert table.best_epoch == 8
        assert str(table.get_cell("8", "mark")) == BEST
        assert monitor.status == "finished"
        progress = app.screen.query_one(ProgressPanel)
        assert (progress.epochs_done, progress.epochs_total) == (10, 10)
        assert progress.eta_seconds() is None  # nothing is training


async def test_a_live_run_grows_as_events_are_appended(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    """A stand-in trainer appends a run's events on a timer while the app watches."""
    run = create_run_folder(models_dir, "live")
    events = fake_events("running", 4, 4, seed=5)
    epoch_ends = [i for i, event in enumerate(events) if event["type"] == "epoch_ended"]
    writer = EventWriter(run.events_path, fsync=False)

    def append(upto: int) -> None:
        while append.done < upto:  # type: ignore[attr-defined]
            event = dict(events[append.done])  # type: ignore[attr-defined]
            writer.append(event.pop("type"), **event)
            append.done += 1  # type: ignore[attr-defined]

    append.done = 0  # type: ignore[attr-defined]
    append(epoch_ends[0] + 1)  # run_started, batches and epoch 1 are there before the app opens
    seen: list[Message] = []
    app = app_factory(open_run="live", start_screen="monitor")
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        curves = app.screen.query_one(CurvesPane)
        table = app.screen.query_one(EpochTable)
        await wait_for(pilot, lambda: curves.epochs_plotted == 1)
        assert table.row_count == 1
        for epoch, end in enumerate(epoch_ends[1:], start=2):
            app.set_timer(0.05, lambda end=end: append(end + 1))
            await wait_for(pilot, lambda epoch=epoch: curves.epochs_plotted == epoch)
            assert table.row_count == epoch
        append(len(events))
        assert any(isinstance(m, BatchProgress) for m in seen)
        assert app.screen.query_one(RunMonitor).status == "interrupted"  # no lock: no trainer
    writer.close()


async def test_a_failed_run_shows_its_message_and_the_log_tail(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(open_run=FAILED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        failure = app.screen.query_one("#run-failure")
        assert failure.display
        text = str(failure.render())
        assert "OOM when allocating tensor" in text
        assert "ran out of memory trying to allocate 2.1GiB" in text  # from trainer.log
        assert monitor.status == "failed"


async def test_a_running_run_reads_as_running_with_an_eta(
    app_factory: Callable[..., CifarApp], with_running: Path
) -> None:
    app = app_factory(open_run=RUNNING, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        assert monitor.status == "running"
        progress = app.screen.query_one(ProgressPanel)
        # 5 of 10 epochs done and half of the 6th: 4.5 epochs of 30 s left.
        assert progress.eta_seconds() == 135.0


async def test_switching_runs_restarts_the_tail(app_factory: Callable[..., CifarApp]) -> None:
    app = app_factory(open_run=FINISHED, start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        curves = app.screen.query_one(CurvesPane)
        await wait_for(pilot, lambda: curves.epochs_plotted == 10)
        app.open_run(RunFolder(Path("models") / STOPPED), "monitor")
        await wait_for(pilot, lambda: curves.epochs_plotted == 4)
        assert app.screen.query_one(EpochTable).row_count == 4
        await pilot.press("v")
        assert curves.view == "loss"


def test_batch_bursts_collapse_to_the_last() -> None:
    events: list[dict[str, Any]] = [
        {"type": "batch", "step": 1},
        {"type": "batch", "step": 2},
        {"type": "epoch_ended", "epoch": 1},
        {"type": "batch", "step": 3},
    ]
    messages = messages_for_events("run", events, follow=1, live=True, log_tail=[])
    assert [type(m).__name__ for m in messages] == ["EpochEnded", "BatchProgress"]
    assert BatchProgress("run", {}, 1).can_replace(BatchProgress("run", {}, 1))
    assert not BatchProgress("run", {}, 2).can_replace(BatchProgress("run", {}, 1))


def test_progress_helpers() -> None:
    assert bar(0.5, 8) == "████░░░░"
    assert bar(2.0, 4) == "████"
    assert format_duration(42) == "42s"
    assert format_duration(185) == "3m 05s"
    assert format_duration(7620) == "2h 07m"
    assert format_duration(None) == "-"
    assert epoch_ticks([1, 2, 3]) == [1, 2, 3]
    assert epoch_ticks(list(range(1, 11))) == [1, 3, 5, 7, 10]
    assert epoch_ticks(list(range(1, 126))) == [1, 26, 51, 76, 101, 125]
    assert epoch_ticks(list(range(1, 11)), most=3) == [1, 6, 10]
    assert epoch_ticks([4]) == [4]
    assert value_ticks([0.77, 1.74], count=3) == ([0.77, 1.255, 1.74], ["0.8", "1.3", "1.7"])
    assert value_ticks([0.0005, 0.001], count=3)[1] == ["0.0005", "0.0008", "0.0010"]
    assert value_ticks([0.000999881, 0.000999991], count=2)[1] == ["0.0009999", "0.0010000"]
    assert value_ticks([2.0, 2.0]) == ([2.0], ["2"])
    assert epoch_ticks([]) == []


@pytest.mark.parametrize(
    ("batches", "epochs_ended", "eta", "rough"),
    [
        # No epoch finished yet: the step rate between the epoch's first and latest batch
        # events (their own times) gives the epoch time: 100 steps at 0.5 s, 3 epochs.
        ([(1000.0, 10), (1005.0, 20)], [], (3 - 0.2) * 50.0, True),
        ([(1000.0, 10)], [], None, False),  # one point: no rate yet
        ([(1000.0, 10), (1000.0, 20)], [], None, False),  # no time passed: no rate
        # Once an epoch has ended, its measured time (incl. evaluation) wins.
        ([(2000.0, 50)], [60.0], (3 - 1 - 0.5) * 60.0, False),
    ],
)
def test_eta_before_and_after_the_first_epoch(
    batches: list[tuple[float, int]], epochs_ended: list[float], eta: float | None, rough: bool
) -> None:
    panel = ProgressPanel()
    panel.active = True
    panel.started({"epochs": 3, "steps_per_epoch": 100})
    for seconds in epochs_ended:
        panel.epoch_ended({"epoch": len(panel.epoch_seconds) + 1, "epochs": 3, "seconds": seconds})
    epoch = len(epochs_ended) + 1
    for when, step in batches:
        panel.batch({"epoch": epoch, "step": step, "steps": 100, "time": when})
    assert panel.eta_seconds() == (pytest.approx(eta) if eta is not None else None)
    assert panel.eta_is_rough == rough
