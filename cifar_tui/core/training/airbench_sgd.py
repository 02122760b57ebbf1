"""airbench94's optimizer parts as a Keras 3 SGD: BatchNorm biases at a higher learning rate,
and Lookahead.

- `bias_lr_scale`: airbench94 trains the BatchNorm biases (`beta`, the only weight its norms
  train) in their own parameter group at 64 times the rate. Here their update uses the scheduled
  rate times the scale (the biases carry no weight decay here, so the scale is all that differs).
- `lookahead_every` (airbench94's Lookahead, from hlb-cifar10): every k-th step, and at the last
  (`total_steps`), slow weights move towards the trained ones,
      slow = slow + (1 - decay) * (weights - slow),   weights = slow,
  with decay = 0.95**5 * (step / total_steps)**3, and 1 (weights = slow) at the last step, so the
  run ends on the slow weights. airbench also averages BatchNorm's running statistics; an
  optimizer sees only trained weights, so here they are not.

Its variables are SGD's (`iterations`, one momentum per weight), then one slow copy per weight
when Lookahead is on: the run's checkpoints hold them in that order, so a resume is exact.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

LOOKAHEAD_BASE_DECAY = 0.95**5


@keras.saving.register_keras_serializable(package="cifar_tui")
class AirbenchSGD(keras.optimizers.SGD):
    """SGD with a learning-rate multiplier on BatchNorm biases and optional Lookahead."""

    def __init__(
        self,
        learning_rate: Any = 0.01,
        bias_lr_scale: float = 1.0,
        lookahead_every: int = 0,
        total_steps: int = 1,
        name: str = "airbench_sgd",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.bias_lr_scale = float(bias_lr_scale)
        self.lookahead_every = int(lookahead_every)
        self.total_steps = max(int(total_steps), 1)

    def build(self, variables: list[Any]) -> None:
        if self.built:
            return
        super().build(variables)
        self._scaled = [is_batch_norm_bias(variable) for variable in variables]
        self._slow: list[Any] = []
        if self.lookahead_every:
            self._slow = self.add_optimizer_variables(variables, "slow")
            for slow, variable in zip(self._slow, variables, strict=True):
                slow.assign(variable)  # a restored run then overwrites them from its checkpoint

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        if self.bias_lr_scale != 1.0 and self._scaled[self._get_variable_index(variable)]:
            learning_rate = ops.multiply(learning_rate, self.bias_lr_scale)
        super().update_step(gradient, variable, learning_rate)
        if self.lookahead_every:
            self._lookahead(variable)

    def _lookahead(self, variable: Any) -> None:
        slow = self._slow[self._get_variable_index(variable)]
        step = ops.cast(self.iterations + 1, "float32")  # this update's 1-based step
        last = ops.greater_equal(step, float(self.total_steps))
        sync = ops.logical_or(ops.equal(ops.mod(step, float(self.lookahead_every)), 0.0), last)
        decay = ops.where(last, 1.0, lookahead_decay(step, self.total_steps))
        moved = ops.add(slow, ops.multiply(1.0 - decay, ops.subtract(variable, slow)))
        new_slow = ops.where(sync, ops.cast(moved, slow.dtype), slow)
        self.assign(slow, new_slow)
        self.assign(variable, ops.where(sync, ops.cast(new_slow, variable.dtype), variable))

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update(
            bias_lr_scale=self.bias_lr_scale,
            lookahead_every=self.lookahead_every,
            total_steps=self.total_steps,
        )
        return config


def lookahead_decay(step: Any, total_steps: int) -> Any:
    """airbench94's Lookahead decay at 1-based `step`: 0.95**5 * (step / total)**3."""
    return ops.multiply(LOOKAHEAD_BASE_DECAY, ops.power(ops.divide(step, float(total_steps)), 3))


def is_batch_norm_bias(variable: Any) -> bool:
    """A BatchNormalization layer's `beta` (the shift airbench trains faster)."""
    return str(getattr(variable, "path", variable.name)).rsplit("/", 1)[-1] == "beta"
