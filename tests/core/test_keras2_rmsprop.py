"""Keras2RMSprop against Keras 2.1's RMSprop written out in NumPy, and across a checkpoint."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

from cifar_tui.core.presets import preset  # noqa: E402
from cifar_tui.core.rundir import checkpoints  # noqa: E402
from cifar_tui.core.training import model as model_lib  # noqa: E402
from cifar_tui.core.training.keras2_rmsprop import Keras2RMSprop  # noqa: E402
from cifar_tui.core.training.schedules import TrainingSchedule  # noqa: E402


def keras2_rmsprop_steps(
    start: np.ndarray, gradients: list[np.ndarray], lr: float, rho: float, epsilon: float,
    decay: float = 0.0,
) -> np.ndarray:  # fmt: skip
    """Keras 2.1's RMSprop.get_updates, in float64: epsilon added after the square root."""
    param, accumulator = start.astype(np.float64), np.zeros_like(start, np.float64)
    for iteration, gradient in enumerate(gradients):
        rate = lr * (1.0 / (1.0 + decay * iteration))  # Keras 2's `decay=` (0 = off)
        accumulator = rho * accumulator + (1.0 - rho) * np.square(gradient)
        param = param - rate * gradient / (np.sqrt(accumulator) + epsilon)
    return param


def keras3_rmsprop_steps(
    start: np.ndarray, gradients: list[np.ndarray], lr: float, rho: float, epsilon: float
) -> np.ndarray:
    """Keras 3's RMSprop update (epsilon inside the square root), for contrast."""
    param, accumulator = start.astype(np.float64), np.zeros_like(start, np.float64)
    for gradient in gradients:
        accumulator = rho * accumulator + (1.0 - rho) * np.square(gradient)
        param = param - lr * gradient / np.sqrt(accumulator + epsilon)
    return param


def _apply(optimizer: keras.optimizers.Optimizer, start: np.ndarray, gradients: list) -> np.ndarray:
    variable = keras.Variable(start.astype(np.float32))
    for gradient in gradients:
        optimizer.apply_gradients([(gradient.astype(np.float32), variable)])
    return np.asarray(variable.numpy(), np.float64)


_RNG = np.random.default_rng(16)
_START = np.array([0.5, -0.25, 1.0, 0.0, -2.0, 3.0])
# Made-up gradients per element: ordinary, tiny (second moments far below epsilon, where its
# placement decides the step), mixed magnitudes and signs, zero, and a sign flip.
_GRADIENTS = {
    "ordinary": [_RNG.normal(0.0, 1.0, 6) for _ in range(5)],
    "tiny": [_RNG.normal(0.0, 1e-6, 6) for _ in range(5)],
    "mixed": [_RNG.normal(0.0, 1.0, 6) * np.logspace(-8, 1, 6) for _ in range(6)],
    "zero-then-small": [np.zeros(6), np.full(6, 1e-5), np.full(6, -1e-5)],
}


@pytest.mark.parametrize(
    ("lr", "rho", "epsilon"),
    [(1e-3, 0.9, 1e-7), (1e-2, 0.9, 1e-7), (1e-3, 0.5, 1e-7), (5e-4, 0.99, 1e-4),
     (1e-3, 0.9, 1e-3)],
)  # fmt: skip
@pytest.mark.parametrize("gradients", sorted(_GRADIENTS))
def test_update_is_keras_2s_formula(lr: float, rho: float, epsilon: float, gradients: str) -> None:
    steps = _GRADIENTS[gradients]
    expected = keras2_rmsprop_steps(_START, steps, lr, rho, epsilon)
    got = _apply(Keras2RMSprop(lr, rho=rho, epsilon=epsilon), _START, steps)
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-9)
    # The table can tell the two Keras apart where second moments are far below epsilon.
    keras3 = keras3_rmsprop_steps(_START, steps, lr, rho, epsilon)
    if gradients == "tiny" and epsilon == 1e-7:
        moved, moved3 = np.abs(got - _START), np.abs(keras3 - _START)
        assert np.all(moved > 10 * moved3)  # Keras 3's sqrt(a + 1e-7) floor shrinks each step


def test_keras_3s_rmsprop_fails_the_same_table() -> None:
    """The reference formula is not just any RMSprop: Keras 3's own optimizer misses it."""
    steps = _GRADIENTS["tiny"]
    expected = keras2_rmsprop_steps(_START, steps, 1e-3, 0.9, 1e-7)
    keras3 = _apply(keras.optimizers.RMSprop(1e-3, rho=0.9, epsilon=1e-7), _START, steps)
    np.testing.assert_allclose(keras3, keras3_rmsprop_steps(_START, steps, 1e-3, 0.9, 1e-7),
                               rtol=2e-6, atol=1e-9)  # fmt: skip
    assert not np.allclose(keras3, expected, rtol=1e-2, atol=0.0)


def test_time_decay_schedule_is_keras_2s_decay() -> None:
    """TrainingSchedule(time_decay=d) gives the optimizer Keras 2's lr / (1 + d * iterations)."""
    steps, decay = _GRADIENTS["ordinary"], 0.25  # exaggerated so each step's rate differs
    schedule = TrainingSchedule(1e-2, "constant", steps_per_epoch=2, total_steps=10,
                                time_decay=decay)  # fmt: skip
    got = _apply(Keras2RMSprop(schedule), _START, steps)
    expected = keras2_rmsprop_steps(_START, steps, 1e-2, 0.9, 1e-7, decay=decay)
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("rmsprop-keras2", Keras2RMSprop), ("rmsprop", keras.optimizers.RMSprop)],
)
def test_config_names_the_optimizer(name: str, kind: type) -> None:
    config = preset("quick").replace(optimizer=name)
    model = model_lib.build_model(config, model_lib.Normalization((120.0,), (64.0,)))
    model_lib.compile_model(model, config, 1e-3)
    assert type(model.optimizer) is kind
    assert preset("recipe-2018").optimizer == "rmsprop-keras2"


def test_config_round_trip() -> None:
    optimizer = Keras2RMSprop(2e-3, rho=0.8, epsilon=1e-6)
    again = Keras2RMSprop.from_config(optimizer.get_config())
    assert (again.rho, again.epsilon, float(again.learning_rate)) == pytest.approx(
        (0.8, 1e-6, 2e-3)
    )


def _tiny_model() -> keras.Model:
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="elu")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
    schedule = TrainingSchedule(1e-2, "constant", 4, 40, time_decay=1e-2)
    model.compile(Keras2RMSprop(schedule), "categorical_crossentropy", jit_compile=False)
    return model


def test_checkpoint_round_trip_continues_identically(tmp_path: Path) -> None:
    """Saved and restored through the run's checkpoint, training goes on bit for bit."""
    rng = np.random.default_rng(3)
    batches = [
        (rng.normal(size=(8, 4)).astype(np.float32), np.eye(3)[rng.integers(0, 3, 8)])
        for _ in range(6)
    ]
    keras.utils.set_random_seed(1)
    model = _tiny_model()
    for x, y in batches[:3]:
        model.train_on_batch(x, y)
    checkpoints.save_checkpoint(tmp_path, model, 0, 3, [0.0], [1.0])
    saved = [np.asarray(v.numpy()) for v in model.optimizer.variables]
    assert len(saved) == 1 + len(model.trainable_variables)  # iterations, then accumulators
    assert int(saved[0]) == 3 and all(np.any(a > 0) for a in saved[1:])
    for x, y in batches[3:]:
        model.train_on_batch(x, y)

    keras.utils.set_random_seed(2)  # different initial weights: the checkpoint must replace them
    resumed = _tiny_model()
    info = checkpoints.read_latest(tmp_path)
    assert info is not None
    checkpoints.restore_checkpoint(tmp_path, info, resumed)
    for x, y in batches[3:]:
        resumed.train_on_batch(x, y)
    assert int(resumed.optimizer.iterations.numpy()) == 6
    for a, b in zip(model.variables + model.optimizer.variables,
                    resumed.variables + resumed.optimizer.variables, strict=True):  # fmt: skip
        assert np.array_equal(np.asarray(a.numpy()), np.asarray(b.numpy()))
