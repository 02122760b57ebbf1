"""A stop flag that signal handlers set and the training loop polls (no TensorFlow import here)."""

from __future__ import annotations

import signal
import threading


class StopRequest:
    """Set from a signal handler; read by the callbacks at each batch end."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def request(self, reason: str) -> None:
        self.reason = self.reason or reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def install(self, signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> None:
        """Turn these signals into a clean stop: finish the batch, checkpoint, write `stopped`."""
        for signum in signals:
            signal.signal(signum, lambda num, _frame: self.request(signal.Signals(num).name))
