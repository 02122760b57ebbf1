"""AirbenchSGD: the BatchNorm-bias rate multiplier and Lookahead against NumPy, and exact resume."""

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
from cifar_tui.core.training.airbench_sgd import AirbenchSGD  # noqa: E402
from cifar_tui.core.training.schedules import schedule_from_config  # noqa: E402


def _numpy_lookahead(w: np.ndarray, grads: list, lr: float, every: int, total: int) -> np.ndarray:
    """Plain SGD, then every `every`-th and the last step: slow += (1 - decay) * (w - slow)."""
    slow = w.copy()
    for step, g in enumerate(grads, 1):
        w = w - lr * g
        if step % every == 0 or step == total:
            decay = 1.0 if step == total else 0.95**5 * (step / total) ** 3
            slow = slow + (1.0 - decay) * (w - slow)
            w = slow.copy()
    return w


@pytest.mark.parametrize(("every", "total", "steps"), [(5, 12, 12), (5, 20, 11), (2, 7, 7)])
def test_lookahead_matches_the_numpy_formula(every: int, total: int, steps: int) -> None:
    rng = np.random.default_rng(every * total)
    start = rng.normal(size=(4, 3)).astype(np.float32)
    grads = [rng.normal(size=(4, 3)).astype(np.float32) for _ in range(steps)]
    variable = keras.Variable(start, name="kernel")
    optimizer = AirbenchSGD(0.1, lookahead_every=every, total_steps=total)
    for g in grads:
        optimizer.apply([g], [variable])
    expected = _numpy_lookahead(start.astype(np.float64), grads, 0.1, every, total)
    assert np.allclose(variable.numpy(), expected, atol=1e-5)
    if steps < total:  # it really differs from plain SGD
        assert not np.allclose(variable.numpy(), start - 0.1 * np.sum(grads, axis=0), atol=1e-3)


@pytest.mark.parametrize("scale", [1.0, 64.0, 0.5])
def test_bias_lr_scale_multiplies_only_the_batch_norm_biases(scale: float) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense"),
                              keras.layers.BatchNormalization(name="bn")])  # fmt: skip
    before = [v.numpy().copy() for v in model.trainable_variables]
    optimizer = AirbenchSGD(0.1, momentum=0.9, nesterov=True, bias_lr_scale=scale)
    grads = [np.ones(v.shape, np.float32) for v in model.trainable_variables]
    optimizer.apply(grads, model.trainable_variables)
    for variable, old in zip(model.trainable_variables, before, strict=True):
        moved = old - variable.numpy()
        rate = 0.1 * (scale if variable.path.endswith("bn/beta") else 1.0)
        # Keras's Nesterov SGD moves by lr * g * (1 + momentum) on its first step.
        assert np.allclose(moved, rate * 1.9, rtol=1e-5), variable.path


def test_resume_with_lookahead_and_bias_scale_is_exact(tmp_path: Path) -> None:
    config = preset("fast").replace(
        architecture="airbench-small", bias_lr_scale=64.0, lookahead=True, weight_decay=5e-4,
        batch_norm_momentum=0.4, whiten_bias=True, identity_init=True,
    )  # fmt: skip
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (48, 32, 32, 3), dtype=np.uint8)
    y = keras.utils.to_categorical(np.arange(48) % 10, 10)
    normalization = model_lib.compute_normalization(x, per_channel=True)
    whitening = model_lib.whitening_kernel(x, normalization)

    schedule = schedule_from_config(config.replace(epochs=3), steps_per_epoch=3)  # 9 steps

    def fresh() -> keras.Model:
        keras.utils.set_random_seed(0)
        model = model_lib.build_model(config, normalization, whitening)
        model_lib.compile_model(model, config, schedule)
        return model

    def fit_steps(model: keras.Model, first: int, count: int) -> None:
        for step in range(first, first + count):
            batch = slice(16 * (step % 3), 16 * (step % 3) + 16)
            model.train_on_batch(x[batch], y[batch])

    whole = fresh()
    fit_steps(whole, 0, 9)
    first_half = fresh()
    fit_steps(first_half, 0, 4)
    checkpoints.save_checkpoint(tmp_path, first_half, 0, 4, [0.0], [1.0])
    resumed = fresh()
    info = checkpoints.read_latest(tmp_path)
    assert info is not None
    checkpoints.restore_checkpoint(tmp_path, info, resumed)
    fit_steps(resumed, 4, 5)
    # iterations, a momentum and a slow copy per trained weight: Lookahead's state is checkpointed
    assert len(whole.optimizer.variables) == 1 + 2 * len(whole.trainable_variables)
    assert whole.optimizer.total_steps == 9
    for a, b in zip(whole.variables, resumed.variables, strict=True):
        assert np.array_equal(np.asarray(a.numpy()), np.asarray(b.numpy())), a.path


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"optimizer": "sgd", "bias_lr_scale": 64.0, "lookahead": True}, None),
        ({"optimizer": "adam", "bias_lr_scale": 64.0}, "optimizer"),
        ({"optimizer": "rmsprop", "lookahead": True}, "optimizer"),
        ({"optimizer": "adam"}, None),
    ],
)
def test_bias_scale_and_lookahead_need_sgd(changes: dict, problem: str | None) -> None:
    fields = [found.field for found in preset("recipe-2018").replace(**changes).problems()]
    assert fields == ([problem] if problem else [])
