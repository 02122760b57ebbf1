"""Keras 2's RMSprop update as a Keras 3 optimizer: epsilon outside the square root.

Keras 2.1 (the 2018 recipe's Keras) updated each weight `p` with gradient `g` as

    a = rho * a + (1 - rho) * g**2          (a starts at zeros)
    p = p - lr * g / (sqrt(a) + epsilon)    (epsilon = K.epsilon() = 1e-7)

while Keras 3's `RMSprop` divides by `sqrt(a + epsilon)`: a floor of about 3.2e-4 on the
denominator, so weights with small gradients move far less than they did in 2018. Keras 2's
`decay=` argument is not here: `TrainingSchedule(time_decay=...)` applies it to the learning rate
this optimizer is given (lr / (1 + decay * iterations), the optimizer step before the update).

Being a `keras.optimizers.Optimizer`, it runs in the compiled train step, under a distribution
strategy, and its variables (`iterations`, then one accumulator per trained weight, the same
layout as Keras 3's RMSprop without momentum) go into the run's checkpoints in order.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="cifar_tui")
class Keras2RMSprop(keras.optimizers.Optimizer):
    """RMSprop with Keras 2.1's update (no momentum, no centering: Keras 2.1 had neither)."""

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        epsilon: float = 1e-7,
        name: str = "keras2_rmsprop",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = float(rho)
        self.epsilon = float(epsilon)

    def build(self, var_list: list[Any]) -> None:
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(var_list, "accumulator")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        accumulator = self._accumulators[self._get_variable_index(variable)]
        new_accumulator = ops.add(
            ops.multiply(self.rho, accumulator),
            ops.multiply(1.0 - self.rho, ops.square(gradient)),
        )
        self.assign(accumulator, new_accumulator)
        step = ops.divide(
            ops.multiply(lr, gradient), ops.add(ops.sqrt(new_accumulator), self.epsilon)
        )
        self.assign_sub(variable, step)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config
