"""The comparison: marking runs in the list, the compare view, and A against B's browser."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console
from run_fixtures import fake_predictions, write_run
from textual.pilot import Pilot
from textual.widgets import Static
from ui_support import settle, until_screen_stable, wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.analysis.predictions import versus_mask
from cifar_tui.core.rundir.artifacts import load_predictions
from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.ui.browser.browser_state import BrowserState
from cifar_tui.ui.common.steady_table import SteadyTable
from cifar_tui.ui.compare.compare_screen import CompareScreen
from cifar_tui.ui.compare.versus_screen import VersusBrowser, VersusScreen
from cifar_tui.ui.dialogs.help_screen import HelpScreen
from cifar_tui.ui.runs.runs_list import MARK, RunsList
from cifar_tui.ui.runs.runs_screen import RunsScreen

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]

SEED0 = "2026-11-25_1915_lr0.001-seed0"
SEED1 = "2026-11-25_2015_lr0.001-seed1"
FASTER = "2026-11-25_2115_lr0.01-seed0"


def compare_runs(models: Path) -> list[RunFolder]:
    """Three finished runs: two differing only by seed, one by its learning rate and length.

    All three predicted the same test set (seed 0's labels), each getting other images wrong.
    """
    runs = [
        write_run(models, SEED0, "finished", 10, 10, seed=0),
        write_run(models, SEED1, "finished", 10, 10, seed=1),
        write_run(models, FASTER, "finished", 8, 8, seed=2),
    ]
    config = runs[2].config_path.read_text()
    config = config.replace("learning_rate = 0.001", "learning_rate = 0.01")
    runs[2].config_path.write_text(config.replace("seed = 2", "seed = 0"))
    shared = fake_predictions(0)
    rng = np.random.default_rng(7)
    for run in runs[1:]:
        probabilities = shared["probabilities"].copy()
        order = rng.permutation(len(probabilities))
        flipped, fixed = order[:30], order[30:45]
        probabilities[flipped] = np.roll(probabilities[flipped], 1, axis=1)
        probabilities[fixed, shared["labels"][fixed]] = 2.0  # right, whatever seed 0 said
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        np.savez(run.predictions_path, probabilities=probabilities, labels=shared["labels"],
                 epoch=np.int64(8))  # fmt: skip
    return runs


@pytest.fixture
def compare_dir(models_dir: Path) -> Path:
    """A runs folder beside models_dir (the cwd is tmp_path) with the three runs."""
    folder = Path("compare")
    compare_runs(folder)
    return folder


async def open_comparison(pilot: Pilot[Any], *keys: str) -> CompareScreen:
    """Press `keys` in the runs list (after its first scan), then wait for the comparison."""
    runs = pilot.app.screen.query_one(RunsList)
    await wait_for(pilot, lambda: runs.scanned)
    await pilot.press(*keys)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    await wait_for(pilot, lambda: screen.loaded)
    return screen


async def test_space_marks_runs_and_c_compares_them(
    app_factory: Callable[..., CifarApp], compare_dir: Path
) -> None:
    app = app_factory(models_dir=compare_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        runs = pilot.app.screen.query_one(RunsList)
        await wait_for(pilot, lambda: runs.scanned)
        assert [run.name for run in runs.runs] == [FASTER, SEED1, SEED0]
        await pilot.press("space", "down", "down", "space")
        assert runs.marked == [FASTER, SEED0]
        assert str(runs.get_cell(FASTER, "name")) == f"{MARK}{FASTER}"
        assert str(runs.get_cell(SEED1, "name")) == SEED1
        await pilot.press("space")  # unmarks
        assert runs.marked == [FASTER]
        await pilot.press("space")
        screen = await open_comparison(pilot, "c")
        assert [run.name for run in screen.runs] == [FASTER, SEED0]
        table = screen.query_one("#compare-table", SteadyTable)
        assert table.row_count == 2
        # Only the settings that differ: learning rate, epochs (seed is 0 in both).
        assert [str(column.label) for column in table.columns.values()][5:] == [
            "epochs", "learning_rate",
        ]  # fmt: skip
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, RunsScreen)
        assert runs.marked == [FASTER, SEED0]  # kept for the next comparison


async def test_c_without_marks_compares_the_cursor_run_with_the_one_below(
    app_factory: Callable[..., CifarApp], compare_dir: Path
) -> None:
    app = app_factory(models_dir=compare_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_comparison(pilot, "down", "c")
        assert [run.name for run in screen.runs] == [SEED1, SEED0]
        await pilot.press("escape", "down", "c")  # the last run: with the one above it
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))
        assert [run.name for run in pilot.app.screen.runs] == [SEED0, SEED1]  # type: ignore[attr-defined]


async def test_one_run_is_not_a_comparison(
    app_factory: Callable[..., CifarApp], tmp_path: Path, models_dir: Path
) -> None:
    write_run(Path("single"), "alone", "finished", 3, 3)
    app = app_factory(models_dir=Path("single"))
    async with app.run_test(size=(120, 40)) as pilot:
        runs = pilot.app.screen.query_one(RunsList)
        await wait_for(pilot, lambda: runs.scanned)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(pilot.app.screen, RunsScreen)
        assert any("Mark two runs" in str(note.message) for note in app._notifications)


async def test_keys_cycle_the_metric_smoothing_axis_and_sort(
    app_factory: Callable[..., CifarApp], compare_dir: Path
) -> None:
    app = app_factory(models_dir=compare_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_comparison(pilot, "space", "down", "space", "down", "space", "c")
        plot_lines = screen.query_one("#compare-plot").lines  # type: ignore[attr-defined]
        # The two seeds are one line (their mean, with a band); the faster run its own.
        assert [line.label for line in plot_lines] == ["lr0.01-seed0", "lr0.001 (mean of 2 seeds)"]
        assert plot_lines[1].low is not None
        await pilot.press("m")
        assert screen.metric == "val_loss"
        await pilot.press("e", "t")
        assert screen.smooth and screen.by_time
        title = str(screen.query_one("#compare-title").render())
        assert "validation loss" in title and "x: minutes" in title and "EMA" in title
        table = screen.query_one("#compare-table", SteadyTable)
        first_rows = [str(row.key.value) for row in table.ordered_rows]
        assert first_rows == sorted(first_rows)  # by name
        await pilot.press("o")  # by best accuracy, best first
        assert screen.sort == "best"
        best = [str(table.get_cell_at((index, 1))) for index in range(table.row_count)]
        assert best == sorted(best, reverse=True)


async def test_browse_a_against_b_right_in_a_wrong_in_b(
    app_factory: Callable[..., CifarApp], compare_dir: Path
) -> None:
    app = app_factory(models_dir=compare_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_comparison(pilot, "down", "c")  # A = seed 1, B = seed 0
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, VersusScreen))
        browser = pilot.app.screen.query_one(VersusBrowser)
        await wait_for(pilot, lambda: browser.state.other is not None and browser.data.loaded_once)
        all_shown = browser.state.shown_count
        await pilot.press("v")
        a = load_predictions(RunFolder(compare_dir / SEED1).predictions_path)
        b = load_predictions(RunFolder(compare_dir / SEED0).predictions_path)
        expected = np.flatnonzero(versus_mask(a, b, "right-wrong")).tolist()
        assert 0 < len(expected) < all_shown
        assert browser.state.indices.tolist() == expected
        assert "right in A, wrong in B" in str(browser.query_one("#versus-line").render())
        await pilot.press("v")
        assert browser.state.view.versus == "wrong-right"
        await pilot.press("v")
        assert browser.state.shown_count == all_shown
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, CompareScreen)


@pytest.mark.parametrize(
    ("cursor", "a", "b"),
    [(SEED0, SEED0, FASTER),  # a third run becomes A, the old A B
     (SEED1, SEED1, FASTER)],  # B becomes A: the two swap
)  # fmt: skip
async def test_a_makes_the_run_under_the_cursor_a(
    app_factory: Callable[..., CifarApp], compare_dir: Path, cursor: str, a: str, b: str
) -> None:
    app = app_factory(models_dir=compare_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_comparison(pilot, "space", "down", "space", "down", "space", "c")
        table = screen.query_one("#compare-table", SteadyTable)
        labels = {SEED0: "lr0.001-seed0", SEED1: "lr0.001-seed1", FASTER: "lr0.01-seed0"}

        def tags() -> dict[str, str]:
            names = (str(table.get_cell_at((row, 0))) for row in range(table.row_count))
            return {name.split()[1]: name.split()[2] for name in names if name.endswith("]")}

        def markers() -> dict[str, str]:  # each run's line keeps its marker
            return {str(table.get_cell_at((row, 0))).split()[1]: str(table.get_cell_at((row, 0)))[0]
                    for row in range(table.row_count)}  # fmt: skip

        assert tags() == {labels[FASTER]: "[A]", labels[SEED1]: "[B]"}
        before = markers()
        rows = [str(row.key.value) for row in table.ordered_rows]
        table.move_cursor(row=rows.index(cursor))
        await pilot.press("a")
        assert tags() == {labels[a]: "[A]", labels[b]: "[B]"}
        assert [run.name for run in screen.runs] == [FASTER, SEED1, SEED0]  # the order stays
        await wait_for(pilot, lambda: screen.data is not None and screen.data.classes is not None
                       and screen.data.classes.names == (a, b))  # fmt: skip
        assert markers() == before
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(screen.query_one("#compare-classes-table", Static).content)
        classes = console.export_text()
        assert f"A {a}" in classes and f"B {b}" in classes
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, VersusScreen))
        browser = pilot.app.screen.query_one(VersusBrowser)
        await wait_for(pilot, lambda: browser.data.run is not None)
        assert (browser.data.run.name, browser.other.name) == (a, b)


def test_the_versus_filter_refuses_another_test_set() -> None:
    a = load_like(labels=[0, 1, 2], predicted=[0, 1, 0])
    other_set = load_like(labels=[0, 1, 1], predicted=[0, 1, 1])
    state = BrowserState().versus(other_set, a)
    assert state.cycle_versus(a) == state  # nothing to filter by
    same_set = load_like(labels=[0, 1, 2], predicted=[1, 1, 2])
    state = BrowserState().versus(same_set, a).with_predictions(a)
    state = state.cycle_versus(a)
    assert (state.view.versus, state.indices.tolist()) == ("right-wrong", [0])
    state = state.cycle_versus(a)
    assert (state.view.versus, state.indices.tolist()) == ("wrong-right", [2])
    assert state.versus(None, a).view.versus is None  # B gone: the filter goes too


def load_like(labels: list[int], predicted: list[int]) -> Any:
    from cifar_tui.core.rundir.artifacts import Predictions

    probabilities = np.full((len(labels), 10), 0.01, np.float32)
    probabilities[np.arange(len(labels)), predicted] = 0.91
    return Predictions(probabilities, np.array(labels, np.int64), epoch=1)


def _comparison_of(*keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await open_comparison(pilot, "space", "down", "space", "down", "space", "c")
        if keys:
            await pilot.press(*keys)
        await until_screen_stable(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
class TestSnapshots:
    def test_three_runs(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], compare_dir: Path,
        size: tuple[int, int],
    ) -> None:  # fmt: skip
        app = app_factory(models_dir=compare_dir)
        assert snap_compare(app, terminal_size=size, run_before=_comparison_of())

    def test_smoothed_loss_by_time_sorted_by_best(
        self, snap_compare: Any, app_factory: Callable[..., CifarApp], compare_dir: Path,
        size: tuple[int, int],
    ) -> None:  # fmt: skip
        app = app_factory(models_dir=compare_dir)
        keys = ("m", "e", "t", "o", "p")  # p: per class in the curves' place when narrow
        assert snap_compare(app, terminal_size=size, run_before=_comparison_of(*keys))


def test_snapshot_under_no_color(
    snap_compare: Any, app_factory: Callable[..., CifarApp], compare_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Without colour the lines and the legend are told apart by their markers."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_factory(models_dir=compare_dir)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_comparison_of())


async def test_a_run_still_training_is_read_again(
    app_factory: Callable[..., CifarApp], compare_dir: Path
) -> None:
    app = app_factory(models_dir=compare_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_comparison(pilot, "down", "c")  # seed 1, then seed 0
        table = screen.query_one("#compare-table", SteadyTable)
        assert str(table.get_cell(SEED0, "best_epoch")) != "11"
        rows_before = table.row_count
        folder = RunFolder(compare_dir / SEED0)
        with EventWriter(folder.events_path, fsync=False) as writer:  # an 11th epoch, the best
            writer.append("epoch_ended", time=0.0, epoch=11, val_accuracy=0.99, seconds=30.0)
        screen.read()  # what the timer does every REREAD_SECONDS
        await wait_for(pilot, lambda: str(table.get_cell(SEED0, "best_epoch")) == "11")
        assert str(table.get_cell(SEED0, "best")) == "99.00%"
        assert table.row_count == rows_before


async def test_help_names_the_comparison_keys(
    app_factory: Callable[..., CifarApp], compare_dir: Path
) -> None:
    app = app_factory(models_dir=compare_dir)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_comparison(pilot, "down", "c")
        await pilot.press("question_mark")
        await pilot.pause()
        help_screen = pilot.app.screen
        assert isinstance(help_screen, HelpScreen)
        assert help_screen.title_text == "Compare keys"
        assert ("e", "EMA smoothing of the curves on / off") in help_screen.screen_keys
