"""Load a saved model and use it: evaluate, top-k predictions, export in the recipe's format."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from cifar_tui.core.data.cifar10 import CLASS_NAMES
from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.atomic import atomic_path, atomic_write_text
from cifar_tui.core.training import tfenv
from cifar_tui.core.training.metrics import (
    PREDICT_BATCH_SIZE,
    EvaluationResult,
    evaluate_probabilities,
    predict_probabilities,
)


def check_model_file(path: Path) -> None:
    """Cheap check that `path` can be a .keras file (a zip archive with its central directory)."""
    if not zipfile.is_zipfile(path):
        raise UserError(
            f"{path} is not a Keras model file (a .keras file is a zip archive); "
            "it may be truncated: give a run's model.keras"
        )


def load_model(path: Path) -> Any:
    """`keras.models.load_model` with one-line errors for files that are not (whole) models."""
    check_model_file(path)
    tfenv.import_tensorflow_quietly()
    import keras

    import cifar_tui.core.training.schedules  # noqa: F401 - registers TrainingSchedule for old files

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - Keras raises many types for a bad file
        message = " ".join(str(error).split())[:200]
        raise UserError(f"cannot load model {path}: {message}") from None


def evaluate(model: Any, images: np.ndarray, labels: np.ndarray) -> EvaluationResult:
    """Accuracy and loss of `model` on uint8 images, computed as the trainer computes them."""
    _check_input(model, images)
    return evaluate_probabilities(predict_probabilities(model, images, PREDICT_BATCH_SIZE), labels)


def single_view_result(model: Any, images: np.ndarray, labels: np.ndarray) -> tuple[str, Any]:
    """A model with test-time views (tta.py): its level and the accuracy of the network alone;
    ("off", None) for a plain network."""
    from cifar_tui.core.training import tta

    level = tta.tta_level(model)
    single = tta.single_view(model) if level != "off" else None
    return level, (evaluate(single, images, labels) if single is not None else None)


def top_labels(model: Any, images: list[np.ndarray], k: int = 3) -> list[list[tuple[str, float]]]:
    """For each image, the `k` most probable class names with their probabilities."""
    batch = np.stack(images).astype(np.uint8)
    _check_input(model, batch)
    probabilities = predict_probabilities(model, batch, PREDICT_BATCH_SIZE)
    rows = []
    for row in probabilities:
        best = np.argsort(row)[::-1][:k]
        rows.append([(CLASS_NAMES[i], float(row[i])) for i in best])
    return rows


def _check_input(model: Any, images: np.ndarray) -> None:
    expected = tuple(model.input_shape[1:])
    if tuple(images.shape[1:]) != expected:
        raise UserError(f"the model expects images of shape {expected}, not {images.shape[1:]}")


def export_recipe_format(model_path: Path, destination: Path) -> tuple[Path, Path]:
    """Write `model.json` (architecture) and `model.weights.h5` beside a run, like the recipe.

    Keras 3 insists on the `.weights.h5` suffix for weight files, hence not the recipe's `model.h5`.
    """
    model = load_model(model_path)
    architecture = destination / "model.json"
    weights = destination / "model.weights.h5"
    atomic_write_text(architecture, model.to_json(indent=2) + "\n")
    with atomic_path(weights) as temporary:
        model.save_weights(temporary)
    return architecture, weights
