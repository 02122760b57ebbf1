"""Predictions: loading predictions.npz, filtering, sorting and confusion counts (table-driven)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from run_fixtures import CORRECT_PREDICTIONS, PREDICTION_COUNT, fake_predictions, write_run

from cifar_tui.core.analysis.captions import caption, describe_view, short_class_name
from cifar_tui.core.analysis.predictions import (
    SORT_ORDERS,
    PredictionView,
    confusion_matrix,
    cycle_class,
    most_confused,
    next_sort,
    per_class_accuracy,
    select,
)
from cifar_tui.core.analysis.run_data import (
    align_test_images,
    data_source_of,
    read_run_data,
    recorded_data_source,
)
from cifar_tui.core.data.cifar10 import load_cifar10, load_test_set
from cifar_tui.core.data.errors import DataError
from cifar_tui.core.rundir.artifacts import (
    Predictions,
    PredictionsError,
    file_key,
    load_augmentation_preview,
    load_predictions,
)
from cifar_tui.core.rundir.event_types import RunStarted, event_from_dict

NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def small() -> Predictions:
    """Five images over three classes; confidences 0.9, 0.5, 0.7, 0.6, 0.8 (images 1, 3 wrong)."""
    probabilities = np.array(
        [
            [0.9, 0.05, 0.05],  # true 0, predicted 0
            [0.5, 0.3, 0.2],  # true 1, predicted 0  (wrong)
            [0.1, 0.7, 0.2],  # true 1, predicted 1
            [0.2, 0.2, 0.6],  # true 0, predicted 2  (wrong)
            [0.1, 0.1, 0.8],  # true 2, predicted 2
        ],
        dtype=np.float32,
    )
    return Predictions(probabilities, np.array([0, 1, 1, 0, 2]), epoch=3)


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        pytest.param(PredictionView(), [0, 1, 2, 3, 4], id="all-original-order"),
        pytest.param(PredictionView(misclassified_only=True), [1, 3], id="misclassified"),
        pytest.param(PredictionView(true_class=1), [1, 2], id="true-class"),
        pytest.param(PredictionView(predicted_class=2), [3, 4], id="predicted-class"),
        pytest.param(PredictionView(true_class=0, predicted_class=2), [3], id="true-and-predicted"),
        pytest.param(PredictionView(true_class=2, misclassified_only=True), [], id="none-left"),
        pytest.param(PredictionView(sort="descending"), [0, 4, 2, 3, 1], id="confidence-down"),
        pytest.param(PredictionView(sort="ascending"), [1, 3, 2, 4, 0], id="confidence-up"),
        pytest.param(
            PredictionView(misclassified_only=True, sort="ascending"), [1, 3], id="wrong-least-sure"
        ),
    ],
)
def test_select(view: PredictionView, expected: list[int]) -> None:
    assert select(small(), view).tolist() == expected


def test_select_rejects_unknown_sort() -> None:
    with pytest.raises(ValueError, match="unknown sort"):
        select(small(), PredictionView(sort="random"))


def test_sort_keeps_ties_in_test_set_order() -> None:
    probabilities = np.full((4, 2), 0.5, dtype=np.float32)
    predictions = Predictions(probabilities, np.zeros(4, np.int64), None)
    assert select(predictions, PredictionView(sort="descending")).tolist() == [0, 1, 2, 3]


def test_derived_arrays() -> None:
    predictions = small()
    assert predictions.predicted.tolist() == [0, 0, 1, 2, 2]
    assert predictions.confidence.tolist() == pytest.approx([0.9, 0.5, 0.7, 0.6, 0.8])
    assert predictions.accuracy == pytest.approx(0.6)
    assert len(predictions) == 5


def test_confusion_matrix_and_accuracy() -> None:
    predictions = small()
    matrix = confusion_matrix(predictions.labels, predictions.predicted, classes=3)
    assert matrix.tolist() == [[1, 0, 1], [1, 1, 0], [0, 0, 1]]
    assert matrix.sum() == len(predictions)
    assert per_class_accuracy(matrix).tolist() == pytest.approx([0.5, 0.5, 1.0])
    assert most_confused(matrix, 5) == [(0, 2, 1), (1, 0, 1)]


def test_per_class_accuracy_of_an_absent_class_is_nan() -> None:
    matrix = confusion_matrix(np.array([0, 0]), np.array([0, 1]), classes=3)
    accuracy = per_class_accuracy(matrix)
    assert accuracy[0] == 0.5 and np.isnan(accuracy[2])


def test_fixture_predictions_have_thirty_misclassified() -> None:
    arrays = fake_predictions()
    predictions = Predictions(arrays["probabilities"], arrays["labels"], 1)
    wrong = select(predictions, PredictionView(misclassified_only=True))
    assert len(wrong) == PREDICTION_COUNT - CORRECT_PREDICTIONS == 30
    assert confusion_matrix(predictions.labels, predictions.predicted).sum() == PREDICTION_COUNT


@pytest.mark.parametrize(
    ("current", "step", "expected"),
    [
        pytest.param(None, 1, 0, id="all-to-first"),
        pytest.param(0, 1, 1, id="next"),
        pytest.param(9, 1, None, id="last-to-all"),
        pytest.param(None, -1, 9, id="back-from-all-to-last"),
        pytest.param(0, -1, None, id="back-from-first-to-all"),
        pytest.param(5, -1, 4, id="back"),
    ],
)
def test_cycle_class(current: int | None, step: int, expected: int | None) -> None:
    assert cycle_class(current, 10, step) == expected


def test_next_sort_cycles_through_every_order() -> None:
    seen = ["original"]
    for _ in SORT_ORDERS:
        seen.append(next_sort(seen[-1]))
    assert seen == ["original", "descending", "ascending", "original"]


@pytest.mark.parametrize(
    ("true", "predicted", "confidence", "expected"),
    [
        pytest.param("cat", "cat", 0.974, "✓ cat 97%", id="correct"),
        pytest.param("cat", "dog", 0.81, "✗ cat→dog 81%", id="wrong"),
        pytest.param("automobile", "automobile", 1.0, "✓ automobile 100%", id="long-name"),
    ],
)
def test_caption(true: str, predicted: str, confidence: float, expected: str) -> None:
    assert caption(true, predicted, confidence) == expected


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        pytest.param(PredictionView(), "all", id="nothing"),
        pytest.param(
            PredictionView(True, 3, 5, "descending"),
            "misclassified · true cat · predicted dog · confidence ↓",
            id="everything",
        ),
        pytest.param(PredictionView(sort="ascending"), "confidence ↑", id="sort-up"),
    ],
)
def test_describe_view(view: PredictionView, expected: str) -> None:
    assert describe_view(view, NAMES) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("airplane", "plane"), ("automobile", "auto"), ("horse", "horse"), ("bird", "bird")],
)
def test_short_class_name(name: str, expected: str) -> None:
    assert short_class_name(name) == expected


def test_load_predictions_of_a_fixture_run(tmp_path: Path) -> None:
    run = write_run(tmp_path, "run", "finished", 3, epochs_total=3)
    predictions = load_predictions(run.predictions_path)
    assert predictions.epoch == 3
    assert predictions.probabilities.shape == (PREDICTION_COUNT, 10)
    assert predictions.labels.dtype == np.int64
    assert predictions.accuracy == pytest.approx(CORRECT_PREDICTIONS / PREDICTION_COUNT)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        pytest.param(
            {"labels": np.zeros(3, np.int64)}, "no 'probabilities'", id="no-probabilities"
        ),
        pytest.param(
            {"probabilities": np.zeros(3), "labels": np.zeros(3, np.int64)},
            "expected \\(N, classes\\)",
            id="probabilities-1d",
        ),
        pytest.param(
            {"probabilities": np.zeros((3, 10)), "labels": np.zeros(4, np.int64)},
            "labels have shape",
            id="length-mismatch",
        ),
        pytest.param(
            {"probabilities": np.zeros((2, 10)), "labels": np.array([0, 12])},
            "outside classes",
            id="label-out-of-range",
        ),
    ],
)
def test_load_predictions_rejects_malformed_files(
    tmp_path: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    path = tmp_path / "predictions.npz"
    np.savez(path, **arrays)
    with pytest.raises(PredictionsError, match=message):
        load_predictions(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "does not exist yet", id="missing"),
        pytest.param(b"PK\x03\x04 half-written", "not a readable predictions file", id="torn"),
        # numpy would say "load it unsafely with allow_pickle": never advice for a user
        pytest.param(
            b"plain garbage",
            r"not a readable predictions file \(not an \.npz archive\)$",
            id="not npz",
        ),
    ],
)
def test_load_predictions_missing_or_torn(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "predictions.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PredictionsError, match=message):
        load_predictions(path)


def test_recorded_data_source_takes_the_latest_run_started(tmp_path: Path) -> None:
    events = [
        {"type": "run_started", "data_source": "/data/old.tar.gz"},
        {"type": "epoch_ended", "epoch": 1},
        {"type": "run_started", "data_source": "/data/cifar-10-python.tar.gz"},
    ]
    typed = [event_from_dict(event) for event in events]
    assert recorded_data_source(typed) == Path("/data/cifar-10-python.tar.gz")  # type: ignore[arg-type]
    assert recorded_data_source([RunStarted()]) is None
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in events))
    assert data_source_of(path) == Path("/data/cifar-10-python.tar.gz")
    assert data_source_of(tmp_path / "missing.jsonl") is None


def test_load_augmentation_preview(tmp_path: Path) -> None:
    path = tmp_path / "augmentation_preview.npz"
    original = np.zeros((4, 32, 32, 3), np.uint8)
    np.savez(path, original=original, augmented=original + 1)
    loaded_original, loaded_augmented = load_augmentation_preview(path)
    assert loaded_original.shape == (4, 32, 32, 3) and int(loaded_augmented.max()) == 1
    with pytest.raises(PredictionsError, match="no augmentation_preview.npz"):
        load_augmentation_preview(tmp_path / "missing" / "augmentation_preview.npz")
    np.savez(path, original=original, augmented=original.astype(np.float32))
    with pytest.raises(PredictionsError, match="augmented is float32"):
        load_augmentation_preview(path)
    np.savez(path, original=original, augmented=original[:2])
    with pytest.raises(PredictionsError, match="4 original images but 2"):
        load_augmentation_preview(path)


@pytest.mark.parametrize(
    ("image_count", "label_offset", "expected_note"),
    [
        pytest.param(5, 0, None, id="same-set"),
        pytest.param(8, 0, None, id="predictions-cover-a-prefix"),
        pytest.param(3, 0, "has 3 test images but predictions.npz has 5", id="too-few"),
        pytest.param(5, 1, "5 of 5 test labels differ", id="other-labels"),
    ],
)
def test_align_test_images(image_count: int, label_offset: int, expected_note: str | None) -> None:
    predictions = small()
    labels = np.concatenate([predictions.labels, np.zeros(3, np.int64)])[:image_count]
    labels = (labels + label_offset) % 3
    images = np.arange(image_count, dtype=np.uint8)[:, None, None, None] * np.ones(
        (1, 32, 32, 3), np.uint8
    )
    aligned, note = align_test_images(images, labels, predictions)
    if expected_note is None:
        assert note is None and aligned is not None
        assert aligned.shape == (5, 32, 32, 3) and aligned[4, 0, 0, 0] == 4
    else:
        assert aligned is None and note is not None and expected_note in note


@pytest.mark.parametrize("extracted", [False, True], ids=["archive", "folder"])
def test_load_test_set_reads_the_test_batch_only(
    tmp_path: Path, make_cifar_archive: Callable[..., Path], extracted: bool
) -> None:
    source = make_cifar_archive(per_batch=10, test_size=20, seed=1, extracted=extracted)
    images, labels = load_test_set(source)
    full = load_cifar10(source)
    np.testing.assert_array_equal(images, full.x_test)
    np.testing.assert_array_equal(labels, full.y_test)
    if extracted:
        (source / "data_batch_1").unlink()  # training batches are never opened
        assert len(load_test_set(source)[0]) == 20
        (source / "test_batch").unlink()
    else:
        source = tmp_path / "missing.tar.gz"
    with pytest.raises(DataError):
        load_test_set(source)


def test_read_run_data_collects_notes_instead_of_raising(tmp_path: Path) -> None:
    run = write_run(tmp_path / "models", "run", "running", 0)  # no predictions yet
    calls: list[Path] = []

    def loader(source: Path) -> tuple[np.ndarray, np.ndarray]:
        calls.append(source)
        raise DataError(f"nothing usable in {source}")

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cifar-10-python.tar.gz").write_bytes(b"not really")
    data = read_run_data(run, tmp_path / "data", loader, None)
    assert data.predictions is None and "does not exist yet" in (data.predictions_note or "")
    assert data.images is None and (data.images_note or "").startswith("no test images")
    assert calls == [tmp_path / "data" / "cifar-10-python.tar.gz"]
    assert data.preview is None and "no augmentation_preview.npz" in (data.preview_note or "")
    assert data.file_key is None


def test_read_run_data_reuses_images_and_sees_a_rewritten_file(tmp_path: Path) -> None:
    run = write_run(tmp_path / "models", "run", "finished", 2, epochs_total=2)
    images = (np.zeros((PREDICTION_COUNT, 32, 32, 3), np.uint8), np.zeros(PREDICTION_COUNT), None)

    def loader(source: Path) -> tuple[np.ndarray, np.ndarray]:
        raise AssertionError("images were given: nothing to load")

    first = read_run_data(run, None, loader, images)
    assert first.predictions is not None and first.images is images[0]
    before = file_key(run.predictions_path)
    assert first.file_key == before is not None
    np.savez(run.predictions_path, **fake_predictions(seed=3), epoch=np.int64(3))
    assert file_key(run.predictions_path) != before
