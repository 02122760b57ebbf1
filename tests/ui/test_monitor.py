"""The training monitor over fixture runs: history, live appends, failures, status."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from rich.text import Text
from run_fixtures import fake_events, fake_predictions
from textual.geometry import Region
from textual.message import Message
from textual.widget import Widget
from ui_support import FAILED, FINISHED, RUNNING, STOPPED, wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.rundir import event_types
from cifar_tui.core.rundir.event_types import Batch, Event, Failed, Finished, RunStarted, Stopped
from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.naming import create_run_folder
from cifar_tui.ui.common.formatting import format_duration
from cifar_tui.ui.monitor.curves_pane import CurvesPane
from cifar_tui.ui.monitor.epoch_table import BEST, EpochTable
from cifar_tui.ui.monitor.progress_panel import ProgressPanel, bar
from cifar_tui.ui.monitor.run_monitor import RunMonitor
from cifar_tui.ui.monitor.run_status import Fact, RunStatus, status_lines
from cifar_tui.ui.monitor.run_tail import messages_for_events
from cifar_tui.ui.monitor.tail_messages import BatchProgress, EpochEnded, RunFinished


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
    events = [Batch(step=1), Batch(step=2), event_types.EpochEnded(epoch=1), Batch(step=3)]
    messages = messages_for_events("run", events, follow=1, live=True, log_tail=[])
    assert [type(m).__name__ for m in messages] == ["EpochEnded", "BatchProgress"]
    assert messages[-1].event == Batch(step=3)  # type: ignore[attr-defined]
    assert BatchProgress("run", Batch(), 1).can_replace(BatchProgress("run", Batch(), 1))
    assert not BatchProgress("run", Batch(), 2).can_replace(BatchProgress("run", Batch(), 1))


def test_each_event_type_becomes_its_message() -> None:
    events = [RunStarted(), event_types.EpochEnded(epoch=1), Finished(), Failed(message="m"),
              Event(type="epoch_ended"), Event(type="newer_writers_event"), Stopped()]  # fmt: skip
    messages = messages_for_events("run", events, follow=1, live=False, log_tail=["x"])
    assert [type(m).__name__ for m in messages] == [
        "EventArrived", "EpochEnded", "RunFinished", "RunFailed", "EventArrived", "EventArrived",
        "EventArrived"]  # fmt: skip
    assert [m.event for m in messages] == events  # type: ignore[attr-defined]
    assert messages[3].log_tail == ["x"] and not messages[3].live  # type: ignore[attr-defined]


def test_progress_helpers() -> None:
    assert bar(0.5, 8) == "████░░░░"
    assert bar(2.0, 4) == "████"
    assert format_duration(42) == "42s"
    assert format_duration(185) == "3m 05s"
    assert format_duration(7620) == "2h 07m"
    assert format_duration(None) == "-"


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
        # The median of the last five: one stalled epoch (3000 s) does not move it...
        ([(9000.0, 50)], [60.0, 60.0, 3000.0, 62.0, 58.0], (8 - 5 - 0.5) * 60.0, False),
        # ...and only the last five count.
        ([(9000.0, 50)], [3000.0, 3000.0, 3000.0, 10.0, 10.0, 10.0, 20.0], 0.5 * 10.0, False),
        ([(9000.0, 50)], [3000.0, 30.0, 10.0, 10.0, 20.0, 20.0], (8 - 6 - 0.5) * 20.0, False),
    ],
)
def test_eta_before_and_after_the_first_epoch(
    batches: list[tuple[float, int]], epochs_ended: list[float], eta: float | None, rough: bool
) -> None:
    panel = ProgressPanel()
    panel.active = True
    epochs = 3 if len(epochs_ended) < 3 else 8
    panel.started(RunStarted(epochs=epochs, steps_per_epoch=100))
    for seconds in epochs_ended:
        panel.epoch_ended(
            event_types.EpochEnded(
                epoch=len(panel.epoch_seconds) + 1, epochs=epochs, seconds=seconds
            )
        )
    epoch = len(epochs_ended) + 1
    for when, step in batches:
        panel.batch_progress(Batch(epoch=epoch, step=step, steps=100, time=when))
    assert panel.eta_seconds() == (pytest.approx(eta) if eta is not None else None)
    assert panel.eta_is_rough == rough


# --- the status line: facts whole at any width, the best epoch always in view ------------------

TITLE = Text("recipe-full  ● running")
RESULTS = [Fact("best 86.66% @60", room=17), Fact("test acc 84.71%", room=16)]
SETUP = [
    Fact("recipe-2018"),
    Fact("CPU (2 cores, AVX512-BF16)"),
    Fact("mixed_bfloat16"),
    Fact("one-device x1"),
]
ONE_LINE = (
    "recipe-full  ● running · best 86.66% @60 · test acc 84.71% · recipe-2018 · "
    "CPU (2 cores, AVX512-BF16) · mixed_bfloat16 · one-device x1"
)


@pytest.mark.parametrize(
    ("title", "results", "setup", "width", "lines"),
    [
        pytest.param(TITLE, RESULTS, SETUP, 160, [ONE_LINE], id="wide-one-line"),
        pytest.param(
            TITLE, RESULTS, SETUP, 78,
            [
                "recipe-full  ● running · best 86.66% @60 · test acc 84.71%",
                "recipe-2018 · CPU (2 cores, AVX512-BF16) · mixed_bfloat16 · one-device x1",
            ],
            id="80-columns-two-lines",
        ),
        pytest.param(
            TITLE, RESULTS, SETUP, 44,
            [
                "recipe-full  ● running · best 86.66% @60",  # the least important facts go
                "recipe-2018 · CPU (2 cores, AVX512-BF16)",
            ],
            id="narrow-drops-whole-facts",
        ),
        pytest.param(
            TITLE, RESULTS, SETUP, 32,
            ["recipe-full  ● running", "recipe-2018 · mixed_bfloat16"],
            id="a-long-fact-left-out-a-short-one-still-fits",
        ),
        pytest.param(
            TITLE, [Fact("", room=17), Fact("", room=16)], SETUP, 130,
            [
                "recipe-full  ● running",
                "recipe-2018 · CPU (2 cores, AVX512-BF16) · mixed_bfloat16 · one-device x1",
            ],
            id="room-kept-for-results-to-come",  # no jump to two lines at the first epoch
        ),
        pytest.param(
            Text("2026-11-25_1915_a-very-long-run-name  ✓ finished"), RESULTS, [], 30,
            ["2026-11-25_1915_a-very-long-r…"], id="title-cut-with-an-ellipsis",
        ),
    ],
)  # fmt: skip
def test_status_lines_never_split_a_fact(
    title: Text, results: list[Fact], setup: list[Fact], width: int, lines: list[str]
) -> None:
    shown = status_lines(title, results, setup, width)
    assert [line.plain for line in shown] == lines
    assert all(line.cell_len <= width for line in shown)


def _recipe_like_run(models_dir: Path, epochs: int = 12, best: int = 3) -> RunFolder:
    """A recipe run on the CPU whose best validation accuracy came early (epoch `best`)."""
    run = create_run_folder(models_dir, "recipe-full")
    run.config_path.write_text('preset = "recipe-2018"\n')
    np.savez(run.predictions_path, **fake_predictions())
    with EventWriter(run.events_path, fsync=False) as events:
        events.append(
            "run_started", run=run.name, config={"preset": "recipe-2018", "epochs": 125},
            device="CPU (2 cores, AVX512-BF16)", strategy="one-device", replicas=1,
            mixed_precision="mixed_bfloat16", steps_per_epoch=781, epochs=125, initial_epoch=0,
        )  # fmt: skip
        for epoch in range(1, epochs + 1):
            val = 0.8666 if epoch == best else 0.80 + 0.001 * epoch
            events.append(
                "epoch_ended", epoch=epoch, epochs=125, loss=0.7, accuracy=0.8, val_loss=0.5,
                val_accuracy=val, test_accuracy=val, learning_rate=0.001, seconds=90.0,
                images_per_second=590.0,
            )  # fmt: skip
    return run


async def test_at_80x24_the_status_shows_the_best_epoch_the_table_scrolled_away(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    _recipe_like_run(models_dir)
    app = app_factory(open_run="recipe-full", start_screen="monitor")
    async with app.run_test(size=(80, 24)) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        table = app.screen.query_one(EpochTable)
        await wait_for(pilot, lambda: table.row_count == 12)
        await pilot.pause()
        assert table.best_epoch == 3
        assert BEST not in _on_screen(table)  # the star's row is out of view at 80x24
        status = app.screen.query_one(RunStatus)
        assert status.text.splitlines() == [
            "recipe-full  ! interrupted · best 86.66% @3 · test acc 81.20%",
            "recipe-2018 · CPU (2 cores, AVX512-BF16) · mixed_bfloat16 · one-device x1",
        ]
        assert _on_screen(status).splitlines() == [f" {line}" for line in status.text.splitlines()]


async def test_the_status_takes_one_line_when_it_fits(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    _recipe_like_run(models_dir)
    app = app_factory(open_run="recipe-full", start_screen="monitor")
    async with app.run_test(size=(120, 40)) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        status = app.screen.query_one(RunStatus)
        assert len(status.text.splitlines()) == 2  # beside the GPU pane: 78 columns
        await pilot.resize_terminal(200, 40)
        await pilot.pause()
        assert status.size.height == 1
        assert status.text == (
            "recipe-full  ! interrupted · best 86.66% @3 · test acc 81.20% · recipe-2018 · "
            "CPU (2 cores, AVX512-BF16) · mixed_bfloat16 · one-device x1"
        )


def _on_screen(widget: Widget) -> str:
    """The widget's text as drawn, line by line (right-trimmed)."""
    lines = widget.render_lines(Region(0, 0, *widget.outer_size))
    return "\n".join(strip.text.rstrip() for strip in lines)


async def test_with_no_run_open_the_status_says_how_to_open_one(
    app_factory: Callable[..., CifarApp],
) -> None:
    app = app_factory(start_screen="monitor")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        status = app.screen.query_one(RunStatus)
        assert status.text == (
            "No run selected: press 1 for the runs list, 4 to configure a new run."
        )
        assert _on_screen(status).strip() == status.text


@pytest.mark.parametrize(("size", "curves_shown"), [((80, 24), False), ((120, 40), True)])
async def test_a_failed_run_on_a_short_screen_shows_its_epochs(
    app_factory: Callable[..., CifarApp], size: tuple[int, int], curves_shown: bool
) -> None:
    app = app_factory(open_run=FAILED, start_screen="monitor")
    async with app.run_test(size=size) as pilot:
        table = app.screen.query_one(EpochTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        await pilot.pause()
        assert app.screen.query_one("#run-failure").display
        assert app.screen.query_one(CurvesPane).display == curves_shown
        # Its border, the header and both epochs (at 80x24 the curves left it the header only).
        assert table.region.height >= 4


async def test_a_figure_through_test_time_views_shows_the_single_view_beside_it(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    run = create_run_folder(models_dir, "views")
    writer = EventWriter(run.events_path, fsync=False)
    for event in fake_events("finished", 3, 3, seed=2):
        event = dict(event)
        if event["type"] == "finished":
            event.update(test_accuracy=0.9412, tta="flip-translate", single_view_accuracy=0.9333)
        writer.append(event.pop("type"), **event)
    app = app_factory(open_run="views", start_screen="monitor")
    async with app.run_test(size=(200, 40)) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded and monitor.status == "finished")
        await pilot.pause()
        assert "test acc 94.12% (single view 93.33%)" in app.screen.query_one(RunStatus).text
