"""PredictionBrowser over fixture runs: navigation, filters, sort, confusion, reload, snapshots."""

from __future__ import annotations

import io
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from run_fixtures import CORRECT_PREDICTIONS, PREDICTION_COUNT, fake_predictions, write_run
from textual.app import App, ComposeResult
from textual.geometry import Size
from textual.pilot import Pilot
from textual.widgets import Footer, Static
from ui_support import until_screen_stable, wait_for

import cifar_tui
from cifar_tui.core.data.cifar10 import CLASS_NAMES
from cifar_tui.core.data.errors import DataError
from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.folder import AUGMENTATION_PREVIEW_FILE, RunFolder
from cifar_tui.ui.browser.augmentation_preview import AugmentationPreview
from cifar_tui.ui.browser.confusion_view import ConfusionView
from cifar_tui.ui.browser.prediction_browser import ImageLoader, PageGrid, PredictionBrowser
from cifar_tui.ui.common.pixel_image import PixelImage

RUN_NAME = "2026-11-25_1915_recipe-2018"
CLASS_COLOURS = np.array(
    [
        [220, 40, 40], [40, 220, 40], [40, 40, 220], [220, 220, 40], [220, 40, 220],
        [40, 220, 220], [128, 128, 128], [250, 140, 20], [20, 90, 140], [140, 20, 90],
    ],
    dtype=np.float32,
)  # fmt: skip
"""One colour per class, as in tests/conftest.py's synthetic archives."""
MISCLASSIFIED = PREDICTION_COUNT - CORRECT_PREDICTIONS


@pytest.fixture(autouse=True)
def truecolor_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)


def class_images(labels: np.ndarray, seed: int = 1) -> np.ndarray:
    """A diamond in each label's colour on a darker ground: classes tell apart at a glance."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[0:32, 0:32]
    diamond = ((np.abs(rows - 16) + np.abs(columns - 16)) < 12)[None, :, :, None]
    base = CLASS_COLOURS[labels][:, None, None, :] * np.where(diamond, 1.0, 0.35)
    noise = rng.normal(0, 18, (len(labels), 32, 32, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


@pytest.fixture
def test_set(make_cifar_archive: Callable[..., Path]) -> Path:
    """A tiny extracted CIFAR-10 whose 100 test images carry the fixture predictions' labels."""
    folder = make_cifar_archive(per_batch=2, test_size=PREDICTION_COUNT, extracted=True)
    labels = fake_predictions()["labels"]
    images = class_images(labels)
    batch = {  # the real format: R, G and B planes of each image in one row
        b"batch_label": b"test_batch",
        b"labels": [int(label) for label in labels],
        b"data": np.ascontiguousarray(images.transpose(0, 3, 1, 2)).reshape(len(images), 3072),
    }
    (folder / "test_batch").write_bytes(pickle.dumps(batch, protocol=4))
    return folder


def write_preview(run: RunFolder, count: int = 4) -> None:
    original = class_images(np.arange(count) % 10, seed=2)
    augmented = np.ascontiguousarray(original[:, :, ::-1])  # a horizontal flip
    np.savez(run.path / AUGMENTATION_PREVIEW_FILE, original=original, augmented=augmented)


@pytest.fixture
def finished_run(tmp_path: Path, test_set: Path) -> tuple[RunFolder, Path]:
    """A finished 3-epoch run (100 predictions, 70 right) and a test set that matches it."""
    run = write_run(tmp_path / "models", RUN_NAME, "finished", 3, epochs_total=3)
    write_preview(run)
    return run, test_set


class BrowserApp(App[None]):
    """The browser alone (focused) with a footer, showing one run."""

    CSS_PATH = Path(cifar_tui.__file__).parent / "cifar.tcss"  # where the browser's styles are

    def __init__(self, run: RunFolder, data_dir: Path | None = None, **options: object) -> None:
        super().__init__()
        self._run = run
        self._data_dir = data_dir
        self._options = options

    def compose(self) -> ComposeResult:
        yield PredictionBrowser(data_dir=self._data_dir, **self._options)  # type: ignore[arg-type]
        yield Footer()

    def on_mount(self) -> None:
        browser = self.query_one(PredictionBrowser)
        browser.focus()
        browser.show_run(self._run)


async def loaded(pilot: Pilot, epoch: int | None = None) -> PredictionBrowser:
    """Wait until the browser shows predictions (of `epoch`, if given) and its grid is laid out."""
    browser = pilot.app.query_one(PredictionBrowser)
    for _ in range(200):
        predictions = browser.data.predictions
        if predictions is not None and (epoch is None or predictions.epoch == epoch):
            await pilot.pause()
            return browser
        await pilot.pause(0.02)
    raise AssertionError(f"browser never loaded predictions (epoch {epoch})")


def shown_cells(browser: PredictionBrowser) -> list[PixelImage]:
    return [cell for cell in browser.query("#browser-grid PixelImage") if cell.display]  # type: ignore[misc]


async def test_grid_shows_images_with_captions(finished_run: tuple[RunFolder, Path]) -> None:
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(120, 40)) as pilot:
        browser = await loaded(pilot)
        assert browser.has_images and browser.state.shown_count == PREDICTION_COUNT
        cells = shown_cells(browser)
        assert len(cells) == browser.state.page_size >= 2
        predictions = browser.data.predictions
        assert predictions is not None
        first = cells[0]
        assert first.selected and first.image is not None and first.image.shape == (32, 32, 3)
        true, predicted = (
            CLASS_NAMES[predictions.labels[0]],
            CLASS_NAMES[predictions.predicted[0]],
        )
        assert true in first.caption and first.correct == (true == predicted)
        detail = app.query_one("#browser-detail-image", PixelImage)
        assert detail.caption == first.caption


async def test_shrink_then_grow_in_one_frame_keeps_every_cell(
    finished_run: tuple[RunFolder, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cell removed by one layout is gone only a frame later; the next layout must not count it.

    (Seen on a loaded CI machine: the grid was laid out narrow, then wide, within one frame, and
    the page showed one image where two fit.)
    """
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await loaded(pilot)
        await until_screen_stable(pilot)
        assert browser.state.page_size == 2
        grid_size = [Size(39, 21)]
        monkeypatch.setattr(PageGrid, "content_size", property(lambda grid: grid_size[0]))
        browser._layout_grid()  # one column: one cell removed (later)
        grid_size[0] = Size(79, 21)
        browser._layout_grid()  # two columns again, before the removal has landed
        monkeypatch.undo()
        await until_screen_stable(pilot)
        assert len(app.query("#browser-grid PixelImage")) == 2
        assert len(shown_cells(browser)) == 2


async def test_navigation_moves_the_selection(finished_run: tuple[RunFolder, Path]) -> None:
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(120, 40)) as pilot:
        browser = await loaded(pilot)
        columns = browser.state.page_size // 2  # 2 rows fit at 120x40
        await pilot.press("right")
        assert browser.state.cursor == 1 and browser.state.selected_index == 1
        await pilot.press("l", "left", "h")
        assert browser.state.cursor == 0
        await pilot.press("down")
        assert browser.state.cursor == columns
        await pilot.press("k", "up")  # clamped at the first image
        assert browser.state.cursor == 0
        await pilot.press("pagedown")
        assert browser.state.cursor == browser.state.page_size
        await pilot.pause()
        cells = shown_cells(browser)
        assert cells[0].selected and browser.state.selected_index is not None
        assert str(browser.state.selected_index) in str(
            app.query_one("#browser-detail-info").render()  # type: ignore[attr-defined]
        )
        await pilot.press("end")
        assert browser.state.cursor == PREDICTION_COUNT - 1
        await pilot.press("pageup", "home")
        assert browser.state.cursor == 0


async def test_first_zoom_at_80_columns_draws_the_bars_full_width(
    finished_run: tuple[RunFolder, Path],
) -> None:
    """Below 100 columns the detail column is hidden (0 wide) until `z` shows it; the class list
    must be drawn for the width it gets once shown, not for the hidden column (6-cell bars)."""
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await loaded(pilot)
        await until_screen_stable(pilot)
        info = app.query_one("#browser-detail-info", Static)
        assert browser.has_class("-detail-hidden") and info.content_size.width == 0
        await pilot.press("z")
        await until_screen_stable(pilot)
        assert info.content_size.width >= 17 + 24  # "*automobile " + 24-cell bar + " 100%"
        classes = str(info.render()).split("\n")[1:-1]
        assert classes and all(line.count("█") + line.count("░") == 24 for line in classes)


async def test_status_line_fits_80_columns(finished_run: tuple[RunFolder, Path]) -> None:
    """The position, the filters and the sort stay on one line; the run's name goes first."""
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await until_screen_stable(pilot)
        status = app.query_one("#browser-status", Static)
        for key, expected in [
            ("", f"{RUN_NAME} · epoch 3 · accuracy 70.0% · 1/100 (all)"),
            ("m", f"{RUN_NAME} · epoch 3 · accuracy 70.0% · 1/30 (misclassified)"),
            ("s", "epoch 3 · accuracy 70.0% · 1/30 (misclassified · confidence ↓)"),
        ]:
            if key:
                await pilot.press(key)
                await pilot.pause()
            assert str(status.render()) == expected and status.size.height == 1


async def test_m_shows_only_the_thirty_misclassified(finished_run: tuple[RunFolder, Path]) -> None:
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await loaded(pilot)
        await pilot.press("m")
        assert browser.state.shown_count == MISCLASSIFIED == 30
        predictions = browser.data.predictions
        assert predictions is not None
        shown = np.array(browser.state.indices.tolist())
        assert not predictions.correct[shown].any()
        await pilot.pause()
        assert all(cell.correct is False for cell in shown_cells(browser))
        assert "1/30 (misclassified)" in str(app.query_one("#browser-status").render())  # type: ignore[attr-defined]
        # The detail lists the true class even when it is not among the most probable.
        selected = browser.state.selected_index
        assert selected is not None
        true_name = CLASS_NAMES[predictions.labels[selected]]
        detail = str(app.query_one("#browser-detail-info").render())  # type: ignore[attr-defined]
        assert f"*{true_name}" in detail
        await pilot.press("m")
        assert browser.state.shown_count == PREDICTION_COUNT


async def test_class_filters(finished_run: tuple[RunFolder, Path]) -> None:
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await loaded(pilot)
        predictions = browser.data.predictions
        assert predictions is not None
        await pilot.press("t")  # true class: airplane
        assert browser.state.view.true_class == 0
        assert browser.state.shown_count == int((predictions.labels == 0).sum()) > 0
        await pilot.press("t")  # automobile
        assert set(predictions.labels[browser.state.indices.tolist()].tolist()) == {1}
        await pilot.press("x", "p", "p", "p")  # predicted class: bird
        assert browser.state.view.true_class is None and browser.state.view.predicted_class == 2
        assert set(predictions.predicted[browser.state.indices.tolist()].tolist()) == {2}
        await pilot.press("P", "P", "P", "P")  # back: automobile, airplane, all, truck
        assert browser.state.view.predicted_class == len(CLASS_NAMES) - 1
        await pilot.press("p")
        assert browser.state.view.predicted_class is None  # truck cycles on to all
        assert browser.state.shown_count == PREDICTION_COUNT


async def test_sort_by_confidence(finished_run: tuple[RunFolder, Path]) -> None:
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await loaded(pilot)
        predictions = browser.data.predictions
        assert predictions is not None
        await pilot.press("s")
        descending = predictions.confidence[browser.state.indices.tolist()]
        assert (np.diff(descending) <= 0).all() and browser.state.view.sort == "descending"
        await pilot.press("s")
        ascending = predictions.confidence[browser.state.indices.tolist()]
        assert (np.diff(ascending) >= 0).all()
        await pilot.press("s")
        assert browser.state.indices.tolist() == list(range(PREDICTION_COUNT))


async def test_filter_keeps_the_selected_image_when_it_stays(
    finished_run: tuple[RunFolder, Path],
) -> None:
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await loaded(pilot)
        await pilot.press("m", "right", "right")
        selected = browser.state.selected_index
        await pilot.press("m")
        assert browser.state.selected_index == selected and browser.state.cursor == selected


async def test_confusion_view_totals_equal_the_test_images(
    finished_run: tuple[RunFolder, Path],
) -> None:
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("c")
        view = app.query_one(ConfusionView)
        assert view.display and view.region.height > 0
        matrix = view.matrix
        assert matrix is not None and matrix.sum() == PREDICTION_COUNT
        assert np.trace(matrix) == CORRECT_PREDICTIONS
        console = Console(record=True, width=80, file=io.StringIO())
        console.print(view.render())
        table = console.export_text()
        assert f"{CORRECT_PREDICTIONS} of {PREDICTION_COUNT} correct" in table
        assert table.splitlines()[0].split() == ["true", "plane", "auto", "bird", "cat", "deer",
                                                 "dog", "frog", "horse", "ship", "truck", "acc",
                                                 "n"]  # fmt: skip
        await pilot.press("c")
        assert app.query_one(PredictionBrowser).state.mode == "grid"


async def test_augmentation_preview(finished_run: tuple[RunFolder, Path]) -> None:
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("a")
        await pilot.pause()
        preview = app.query_one(AugmentationPreview)
        assert preview.image_count == 4
        cells = list(preview.query(PixelImage))
        # Tall enough: each original stands above its augmented version.
        first = cells[0]
        below = next(cell for cell in cells if cell.caption == "#1 augmented")
        assert first.caption == "#1 original"
        assert first.region.x == below.region.x and below.region.y == first.region.bottom
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        # Short: pairs side by side, so one comparison is always whole on screen.
        first, beside = list(preview.query(PixelImage))[:2]
        assert (first.caption, beside.caption) == ("#1 original", "#1 augmented")
        assert first.region.y == beside.region.y and first.region.bottom <= preview.region.bottom
        await pilot.press("pagedown")
        assert preview.scroll_y > 0
        await pilot.press("home")
        assert preview.scroll_y == 0


async def test_missing_augmentation_preview_says_so(tmp_path: Path, test_set: Path) -> None:
    run = write_run(tmp_path / "models", RUN_NAME, "finished", 3, epochs_total=3)
    app = BrowserApp(run, test_set)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("a")
        preview = app.query_one(AugmentationPreview)
        message = str(preview.query_one("#augmentation-message").render())  # type: ignore[attr-defined]
        assert preview.image_count == 0 and "no augmentation_preview.npz" in message


async def test_without_images_one_line_says_why_and_labels_still_show(tmp_path: Path) -> None:
    def no_data(source: Path) -> tuple[np.ndarray, np.ndarray]:
        raise DataError(f"CIFAR-10 not found at {source}")

    run = write_run(tmp_path / "models", RUN_NAME, "finished", 3, epochs_total=3)
    app = BrowserApp(run, tmp_path, image_loader=no_data)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await loaded(pilot)
        assert not browser.has_images
        notice = str(app.query_one("#browser-notice").render())  # type: ignore[attr-defined]
        assert notice.startswith("no test images, showing labels only:")
        assert "\n" not in notice
        cells = shown_cells(browser)
        assert len(cells) > 10 and all(cell.image is None for cell in cells)  # a dense label grid
        await pilot.press("m")
        assert browser.state.shown_count == MISCLASSIFIED
        await pilot.press("c")
        assert app.query_one(ConfusionView).matrix.sum() == PREDICTION_COUNT  # type: ignore[union-attr]


async def test_images_come_from_the_runs_recorded_data_source(
    tmp_path: Path, test_set: Path
) -> None:
    run = write_run(tmp_path / "models", RUN_NAME, "finished", 3, epochs_total=3)
    folder = test_set
    with EventWriter(run.events_path, fsync=False) as writer:
        writer.append("run_started", data_source=str(folder))  # a resumed segment, say
    sources: list[Path] = []

    def recording_loader(source: Path) -> tuple[np.ndarray, np.ndarray]:
        from cifar_tui.core.data.cifar10 import load_test_set

        sources.append(source)
        return load_test_set(source)

    app = BrowserApp(run, tmp_path / "elsewhere", image_loader=recording_loader)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await loaded(pilot)
        assert sources == [folder] and browser.has_images


async def test_mismatched_test_set_falls_back_to_labels(
    tmp_path: Path, make_cifar_archive: Callable[..., Path]
) -> None:
    run = write_run(tmp_path / "models", RUN_NAME, "finished", 3, epochs_total=3)
    archive = make_cifar_archive(per_batch=2, test_size=PREDICTION_COUNT, seed=5)
    app = BrowserApp(run, archive)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await loaded(pilot)
        assert not browser.has_images
        notice = str(app.query_one("#browser-notice").render())  # type: ignore[attr-defined]
        assert "differ from predictions.npz" in notice


async def test_run_without_predictions_yet(tmp_path: Path, test_set: Path) -> None:
    run = write_run(tmp_path / "models", RUN_NAME, "running", 0)
    app = BrowserApp(run, test_set)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = app.query_one(PredictionBrowser)
        await wait_for(pilot, lambda: browser.data.loaded_once)
        assert browser.data.predictions is None and browser.state.shown_count == 0
        notice = str(app.query_one("#browser-notice").render())  # type: ignore[attr-defined]
        assert "does not exist yet" in notice
        await pilot.press("m", "right", "c", "c", "end")  # nothing to act on: no errors


async def test_still_training_run_reloads_when_predictions_change(
    tmp_path: Path, test_set: Path
) -> None:
    run = write_run(tmp_path / "models", RUN_NAME, "running", 2, epochs_total=10)
    app = BrowserApp(run, test_set, poll_interval=0.05)
    loads: list[PredictionBrowser.Loaded] = []
    async with app.run_test(size=(120, 40), message_hook=loads.append) as pilot:
        browser = await loaded(pilot, epoch=2)
        await pilot.press("m")
        assert browser.state.shown_count == MISCLASSIFIED
        # The trainer replaces the file atomically after epoch 3: this time every answer is right.
        arrays = fake_predictions()
        probabilities = np.eye(10, dtype=np.float32)[arrays["labels"]] * 0.9 + 0.01
        temporary = run.path / "predictions.tmp.npz"
        np.savez(temporary, probabilities=probabilities, labels=arrays["labels"], epoch=3)
        os.replace(temporary, run.predictions_path)
        browser = await loaded(pilot, epoch=3)
        assert browser.state.shown_count == 0  # the misclassified filter stays on: none left
        assert browser.has_images  # images were kept, not read again
        await pilot.press("m")
        assert browser.state.shown_count == PREDICTION_COUNT
        epochs = [m.epoch for m in loads if isinstance(m, PredictionBrowser.Loaded)]
        assert 2 in epochs and 3 in epochs


async def test_reload_key_rereads_the_file(finished_run: tuple[RunFolder, Path]) -> None:
    run, folder = finished_run
    app = BrowserApp(run, folder, poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, epoch=3)
        arrays = fake_predictions(seed=4)
        np.savez(run.predictions_path, **arrays, epoch=np.int64(4))
        await pilot.press("r")
        browser = await loaded(pilot, epoch=4)
        assert browser.data.predictions is not None and browser.data.predictions.epoch == 4


# --- snapshots ----------------------------------------------------------------------------------


def snapshot_app(root: Path, test_set: Path, **options: object) -> BrowserApp:
    run = write_run(root / "models", RUN_NAME, "finished", 3, epochs_total=3)
    write_preview(run)
    return BrowserApp(run, test_set, poll_interval=3600, **options)


def after_load(*keys: str) -> Callable[[Pilot], object]:
    async def run_before(pilot: Pilot) -> None:
        await loaded(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await until_screen_stable(pilot)  # the grid is re-laid over a few frames

    return run_before


SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
LARGE = pytest.mark.parametrize("size", [(120, 40)], ids=["120x40"])
SMALL = pytest.mark.parametrize("size", [(80, 24)], ids=["80x24"])


class TestSnapshots:
    """Each view of the browser over the fixture run, at both terminal sizes."""

    @SIZES
    def test_grid(
        self, snap_compare: Callable[..., bool], tmp_path: Path, test_set: Path, size: tuple
    ) -> None:
        app = snapshot_app(tmp_path, test_set)
        assert snap_compare(app, terminal_size=size, run_before=after_load("right"))

    @SMALL
    def test_misclassified_by_confidence(
        self, snap_compare: Callable[..., bool], tmp_path: Path, test_set: Path, size: tuple
    ) -> None:
        app = snapshot_app(tmp_path, test_set)
        assert snap_compare(app, terminal_size=size, run_before=after_load("m", "s"))

    @LARGE
    def test_zoomed(
        self, snap_compare: Callable[..., bool], tmp_path: Path, test_set: Path, size: tuple
    ) -> None:
        app = snapshot_app(tmp_path, test_set)
        assert snap_compare(app, terminal_size=size, run_before=after_load("z"))

    @SIZES
    def test_confusion(
        self, snap_compare: Callable[..., bool], tmp_path: Path, test_set: Path, size: tuple
    ) -> None:
        app = snapshot_app(tmp_path, test_set)
        assert snap_compare(app, terminal_size=size, run_before=after_load("c"))

    @SIZES
    def test_augmentation(
        self, snap_compare: Callable[..., bool], tmp_path: Path, test_set: Path, size: tuple
    ) -> None:
        app = snapshot_app(tmp_path, test_set)
        assert snap_compare(app, terminal_size=size, run_before=after_load("a"))

    @SMALL
    def test_labels_only(
        self, snap_compare: Callable[..., bool], tmp_path: Path, test_set: Path, size: tuple
    ) -> None:
        def no_data(source: Path) -> tuple[np.ndarray, np.ndarray]:
            raise DataError("CIFAR-10 not found: pass --data-dir or set CIFAR10_DIR")

        loader: ImageLoader = no_data
        app = snapshot_app(tmp_path, test_set, image_loader=loader)
        assert snap_compare(app, terminal_size=size, run_before=after_load())


async def test_no_color_draws_images_with_the_shade_ramp(
    monkeypatch: pytest.MonkeyPatch, finished_run: tuple[RunFolder, Path]
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = BrowserApp(*finished_run)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = await loaded(pilot)
        assert app.no_color and browser.has_images
        cell = shown_cells(browser)[0]
        assert "▀" not in cell.render().plain
        app.export_screenshot()  # every line goes through Textual's monochrome filter
        await pilot.press("c", "a", "z")
        app.export_screenshot()


async def test_a_crashing_loader_is_shown_not_fatal(tmp_path: Path, test_set: Path) -> None:
    def broken(source: Path) -> tuple[np.ndarray, np.ndarray]:
        raise RuntimeError("bug in the loader")

    run = write_run(tmp_path / "models", RUN_NAME, "finished", 3, epochs_total=3)
    app = BrowserApp(run, test_set, image_loader=broken)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = app.query_one(PredictionBrowser)
        notice = app.query_one("#browser-notice")
        for _ in range(100):
            await pilot.pause(0.02)
            if "could not read the run" in str(notice.render()):  # type: ignore[attr-defined]
                break
        assert "bug in the loader" in str(notice.render())  # type: ignore[attr-defined]
        assert browser.data.predictions is None


async def test_an_unreadable_predictions_file_is_noted_on_one_line(
    tmp_path: Path, test_set: Path
) -> None:
    run = write_run(tmp_path / "models", RUN_NAME, "finished", 3, epochs_total=3)
    run.predictions_path.write_bytes(b"not an npz archive")
    app = BrowserApp(run, test_set)
    async with app.run_test(size=(80, 24)) as pilot:
        browser = app.query_one(PredictionBrowser)
        await wait_for(pilot, lambda: browser.data.loaded_once)
        await pilot.pause()
        notice = app.query_one("#browser-notice", Static)
        # By its name in the run, not its full path (which wrapped the note to 4 lines).
        assert str(notice.render()).startswith("predictions.npz is not a readable predictions")
        assert notice.region.height == 1
