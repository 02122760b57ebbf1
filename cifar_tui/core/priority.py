"""Let training have the CPU: the app runs on time the trainers leave idle (Linux SCHED_IDLE).

On a machine whose cores a CPU trainer fills, every millisecond the app spends painting comes out
of training (`bench/trainer_vs_keras.py --with-app`). Under SCHED_IDLE the kernel runs the app
only when no ordinary thread wants that CPU, and an ordinary thread that wakes up takes the CPU
back from it at once; a trainer's threads block often enough (a step's parallel ops join, the
input pipeline waits) that the app still paints and answers keys in time
(`bench/app_latency.py`, measured under a real trainer's load).

The policy is a thread's, and what a thread starts inherits it: its threads and the processes it
forks. A trainer the app starts must not inherit it, and an unprivileged process cannot leave
SCHED_IDLE again (RLIMIT_NICE is 0 on most systems), so trainers are started from one thread
that keeps the ordinary policy (`at_normal_priority`), set up before the app's thread gives the
CPU away.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["at_normal_priority", "current_policy_is_idle", "yield_cpu_to_training"]

T = TypeVar("T")

_normal_priority: ThreadPoolExecutor | None = None
"""One thread with the ordinary policy, started before the app's thread went idle."""


def yield_cpu_to_training() -> bool:
    """Put the calling thread, and every thread and process it starts from now on, under
    SCHED_IDLE; `at_normal_priority` still starts things with the ordinary policy.

    Call it once, early, from the thread that will run the app.

    Returns:
        True if the thread now runs under SCHED_IDLE; False where the OS has no such policy
        (not Linux) or refuses it, and nothing changed.
    """
    global _normal_priority
    if not hasattr(os, "SCHED_IDLE") or current_policy_is_idle():
        return current_policy_is_idle()
    if _normal_priority is None:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="normal-priority")
        # The worker thread is created by the first submit, so from this (still ordinary) thread.
        executor.submit(lambda: None).result()
        _normal_priority = executor
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # 0: this thread (Linux)
    except OSError:
        return False
    return True


def at_normal_priority(make: Callable[[], T]) -> T:
    """`make()`, run on the ordinary-policy thread if the app gave the CPU away, else here.

    Use it for whatever starts a process that must not inherit SCHED_IDLE (a trainer).
    """
    if _normal_priority is None:
        return make()
    return _normal_priority.submit(make).result()


def current_policy_is_idle() -> bool:
    """Whether the calling thread runs under SCHED_IDLE."""
    if not hasattr(os, "SCHED_IDLE"):
        return False
    return os.sched_getscheduler(0) == os.SCHED_IDLE
