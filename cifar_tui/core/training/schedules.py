"""Learning-rate schedules as Keras objects (step, one-cycle, cosine) times Keras 2 time decay."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from cifar_tui.core.config import TrainConfig


@keras.saving.register_keras_serializable(package="cifar_tui")
class TrainingSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate per optimizer step: an epoch-level shape times `1 / (1 + time_decay * step)`.

    The time-decay factor is how Keras 2 applied an optimizer's `decay=` argument (Keras 3 ignores
    that argument), so the recipe's `RMSprop(decay=1e-6)` becomes `time_decay=1e-6` here.

    Shapes:
        constant: `learning_rate` throughout.
        step:     `learning_rate`, then `step_values[i]` once the 0-based epoch index is greater
                  than `step_epochs[i]`: the recipe's `if epoch > 75` test on the 0-based epoch
                  that Keras 2's LearningRateScheduler passes. The recipe's code follows it with
                  `elif epoch > 100`, never reached, so recipe-2018 has the one step [75].
        onecycle: linear warm-up from 0 to `learning_rate` over `warmup_steps`, then linear to 0.
        cosine:   linear warm-up, then half a cosine down to 0 at `total_steps`.
    """

    def __init__(
        self,
        learning_rate: float,
        kind: str,
        steps_per_epoch: int,
        total_steps: int,
        warmup_steps: int = 0,
        step_epochs: tuple[int, ...] | list[int] = (),
        step_values: tuple[float, ...] | list[float] = (),
        time_decay: float = 0.0,
    ) -> None:
        self.learning_rate = float(learning_rate)
        self.kind = kind
        self.steps_per_epoch = int(steps_per_epoch)
        self.total_steps = max(int(total_steps), 1)
        self.warmup_steps = int(warmup_steps)
        self.step_epochs = [int(e) for e in step_epochs]
        self.step_values = [float(v) for v in step_values]
        self.time_decay = float(time_decay)

    def __call__(self, step: Any) -> Any:
        step = ops.cast(step, "float32")
        if self.kind == "step":
            epoch_index = ops.floor(step / self.steps_per_epoch)
            rate = ops.convert_to_tensor(self.learning_rate, "float32")
            for boundary, value in zip(self.step_epochs, self.step_values, strict=True):
                rate = ops.where(epoch_index > boundary, value, rate)
        elif self.kind in ("onecycle", "cosine"):
            rate = self._warm_then_down(step)
        else:
            rate = ops.convert_to_tensor(self.learning_rate, "float32")
        if self.time_decay:
            rate = rate / (1.0 + self.time_decay * step)
        return rate

    def _warm_then_down(self, step: Any) -> Any:
        warmup = float(max(self.warmup_steps, 1))
        rising = self.learning_rate * (step + 1.0) / warmup
        progress = ops.clip(
            (step - self.warmup_steps) / max(self.total_steps - self.warmup_steps, 1), 0.0, 1.0
        )
        if self.kind == "onecycle":
            falling = self.learning_rate * (1.0 - progress)
        else:
            falling = self.learning_rate * 0.5 * (1.0 + ops.cos(math.pi * progress))
        return ops.where(step < self.warmup_steps, rising, falling)

    def get_config(self) -> dict[str, Any]:
        return {
            "learning_rate": self.learning_rate,
            "kind": self.kind,
            "steps_per_epoch": self.steps_per_epoch,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
            "step_epochs": self.step_epochs,
            "step_values": self.step_values,
            "time_decay": self.time_decay,
        }


def schedule_from_config(config: TrainConfig, steps_per_epoch: int) -> TrainingSchedule:
    """The learning rate per optimizer step that `config` asks for."""
    total = steps_per_epoch * config.epochs
    return TrainingSchedule(
        config.learning_rate,
        config.lr_schedule,
        steps_per_epoch=steps_per_epoch,
        total_steps=total,
        warmup_steps=min(int(round(config.warmup_epochs * steps_per_epoch)), total),
        step_epochs=config.lr_step_epochs,
        step_values=config.lr_step_values,
        time_decay=config.lr_time_decay,
    )
