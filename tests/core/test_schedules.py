"""The recipe's learning rate per epoch, as the 2018 code computed it under Keras 2."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from cifar_tui.core.presets import preset  # noqa: E402
from cifar_tui.core.training.schedules import schedule_from_config  # noqa: E402

STEPS = 50_000 // 64  # the recipe's steps per epoch: 781


def published_lr_schedule(epoch: int) -> float:
    """The 2018 code's LearningRateScheduler function, verbatim in logic (0-based epoch)."""
    lrate = 0.001
    if epoch > 75:
        lrate = 0.0005
    elif epoch > 100:  # never reached: epoch > 100 already took the branch above
        lrate = 0.0003
    return lrate


# (0-based epoch, rate before time decay): the boundaries of the code's schedule.
RECIPE_TABLE = [(0, 1e-3), (74, 1e-3), (75, 1e-3), (76, 5e-4), (100, 5e-4), (101, 5e-4),
                (124, 5e-4)]  # fmt: skip


@pytest.mark.parametrize(("epoch", "rate"), RECIPE_TABLE)
@pytest.mark.parametrize("where", ["first", "last"])
def test_recipe_rate_per_epoch_is_the_published_codes(epoch: int, rate: float, where: str) -> None:
    config = preset("recipe-2018")
    schedule = schedule_from_config(config, STEPS)
    # Keras 2 set the epoch's rate at its start and decayed it per optimizer iteration.
    step = epoch * STEPS + (0 if where == "first" else STEPS - 1)
    decay = 1.0 / (1.0 + 1e-6 * step)
    assert published_lr_schedule(epoch) == rate
    assert float(schedule(step)) == pytest.approx(rate * decay, rel=1e-6)


# The article's text (and this project's earlier port): 3e-4 after 0-based epoch 100.
ARTICLE_TABLE = [(75, 1e-3), (76, 5e-4), (100, 5e-4), (101, 3e-4), (124, 3e-4)]


@pytest.mark.parametrize(("epoch", "rate"), ARTICLE_TABLE)
def test_the_articles_schedule_is_two_flags_away(epoch: int, rate: float) -> None:
    config = preset("recipe-2018").replace(lr_step_epochs=[75, 100], lr_step_values=[5e-4, 3e-4])
    assert config.problems() == []
    schedule = schedule_from_config(config, STEPS)
    step = epoch * STEPS
    assert float(schedule(step)) == pytest.approx(rate / (1.0 + 1e-6 * step), rel=1e-6)


def test_schedule_from_config_passes_every_field() -> None:
    config = preset("fast")
    schedule = schedule_from_config(config, 195)
    assert schedule.get_config() == {
        "learning_rate": config.learning_rate, "kind": "onecycle", "steps_per_epoch": 195,
        "total_steps": 195 * config.epochs, "warmup_steps": round(config.warmup_epochs * 195),
        "step_epochs": [], "step_values": [], "time_decay": 0.0,
    }  # fmt: skip
