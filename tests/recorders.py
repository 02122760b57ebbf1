"""A RunRecorder with nothing attached (no events, printing or validation), for callback tests."""

from __future__ import annotations

from typing import Any


def quiet_recorder(steps_per_epoch: int, **overrides: Any) -> Any:
    """A RunRecorder over `steps_per_epoch` steps whose hooks do nothing unless overridden."""
    from cifar_tui.core.training.callbacks import RunRecorder
    from cifar_tui.core.training.stopping import StopRequest

    options: dict[str, Any] = {
        "emit": lambda *args, **fields: None,
        "print_line": lambda line: None,
        "stop": StopRequest(),
        "steps_per_epoch": steps_per_epoch,
        "epochs": 5,
        "batch_size": 8,
        "validation": (None, None),
        "test": None,
        "on_epoch_saved": lambda epoch, result: None,
        "learning_rate_at": lambda step: 0.1,
    }
    return RunRecorder(**{**options, **overrides})
