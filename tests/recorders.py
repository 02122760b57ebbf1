"""A RunRecorder with nothing attached (no events, saving or validation), for callback tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class QuietSaver:
    """A saver that saves nothing; `on_stop(epoch, step)` sees each stop it is asked to save."""

    def __init__(self, on_stop: Callable[[int, int], Any] | None = None) -> None:
        self._on_stop = on_stop

    def save_epoch(self, epoch: int, test_result: Any) -> None:
        pass

    def save_stop(self, epoch_done: int, step: int) -> None:
        if self._on_stop is not None:
            self._on_stop(epoch_done, step)


class EventList:
    """Events as (type, fields) pairs, in the order they were appended."""

    def __init__(self) -> None:
        self.appended: list[tuple[str, dict[str, Any]]] = []

    def append(self, type: str, **fields: Any) -> None:
        self.appended.append((type, fields))


def quiet_recorder(
    steps_per_epoch: int,
    *,
    first_step: int = 0,
    batch_size: int = 8,
    **overrides: Any,
) -> Any:
    """A RunRecorder over `steps_per_epoch` steps whose hooks do nothing unless overridden."""
    from cifar_tui.core.training.recorder import FitPlan, RunRecorder
    from cifar_tui.core.training.stopping import StopRequest

    options: dict[str, Any] = {
        "plan": FitPlan(steps_per_epoch, 5, batch_size, first_step),
        "events": EventList(),
        "saver": QuietSaver(),
        "stop": StopRequest(),
        "validation": (None, None),
        "test": None,
        "learning_rate_at": lambda step: 0.1,
    }
    return RunRecorder(**{**options, **overrides})
