"""The trainer's divergence rule, fed loss sequences as Keras would report them (no training)."""

from __future__ import annotations

import math

import pytest
from recorders import quiet_recorder

from cifar_tui.core.training import recorder as recorder_module
from cifar_tui.core.training.recorder import DivergedError, RunRecorder

STEPS = 100


@pytest.fixture(autouse=True)
def event_every_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule runs with each batch event (the loss is read then); here every batch has one."""
    monkeypatch.setattr(recorder_module, "BATCH_EVENT_INTERVAL", 0.0)


def recorder() -> RunRecorder:
    return quiet_recorder(STEPS)


def feed(losses_per_epoch: list[list[float]]) -> str | None:
    """Run the epochs' running-mean losses through the recorder; the DivergedError text, if any."""
    callback = recorder()
    try:
        for epoch, losses in enumerate(losses_per_epoch):
            callback.on_epoch_begin(epoch)
            for batch, loss in enumerate(losses):
                callback.on_train_batch_end(batch, {"loss": loss, "accuracy": 0.5})
            callback.last_epoch_done = epoch + 1  # what on_epoch_end does after validating
    except DivergedError as error:
        return str(error)
    return None


def falling(start: float, end: float, n: int = STEPS) -> list[float]:
    return [start + (end - start) * i / (n - 1) for i in range(n)]


@pytest.mark.parametrize(
    ("case", "losses", "diverged"),
    [
        ("healthy run", [falling(2.3, 1.2), falling(1.1, 0.8), falling(0.8, 0.6)], None),
        ("noisy but healthy", [[2.3 + 0.5 * (-1) ** i for i in range(STEPS)]], None),
        ("high weight decay starts high", [falling(150.0, 20.0), falling(19.0, 3.0)], None),
        ("memorised run wobbles", [falling(0.01, 0.001), [0.001, 0.05] * 50], None),
        ("nan", [falling(2.3, 1.2)[:10] + [math.nan]], "became nan at epoch 1 step 11"),
        ("inf at the first batch", [[math.inf]], "became inf at epoch 1 step 1"),
        ("blows up in epoch 3", [falling(2.3, 1.2), falling(1.1, 0.5), [0.5] * 30 + [6.0]],
         "diverged at epoch 3 step 31: 6, over 10x its lowest (0.5)"),
        ("blows up early in an epoch", [falling(2.3, 0.4), [9.0] * 19 + [9.0]],
         "diverged at epoch 2 step 20"),
    ],
)  # fmt: skip
def test_divergence_rule(case: str, losses: list[list[float]], diverged: str | None) -> None:
    message = feed(losses)
    if diverged is None:
        assert message is None, case
    else:
        assert message is not None and diverged in message, (case, message)
        assert "stopped rather than train on garbage: lower --learning-rate" in message
