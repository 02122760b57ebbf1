"""A stop flag that signal handlers set and the training loop polls (no TensorFlow import here)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable


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

    def check(self, step: int) -> None:
        """Called after every training step; a single process has nothing to agree on."""


class AgreedStop:
    """A stop that every worker of a multi-worker run takes at the same step.

    A worker that stopped on its own would leave the others waiting forever in the next
    collective. So a signal only sets this worker's `local` request; every `every` steps all
    workers call `check` at the same step, and `any_worker` (a collective: True when any worker
    passes True) turns a request anywhere into a stop everywhere. A stop thus comes at most
    `every` steps after the signal.
    """

    def __init__(self, local: StopRequest, any_worker: Callable[[bool], bool], every: int) -> None:
        self._local = local
        self._any_worker = any_worker
        self._every = every
        self._agreed = False
        self.reason = ""

    def request(self, reason: str) -> None:
        self._local.request(reason)

    def is_set(self) -> bool:
        return self._agreed

    def check(self, step: int) -> None:
        if self._agreed or step % self._every:
            return
        if self._any_worker(self._local.is_set()):
            self._agreed = True
            self.reason = self._local.reason or "another worker stopped"
