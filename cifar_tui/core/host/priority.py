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
that keeps the ordinary policy (`at_normal_priority`), set up before the app's threads give the
CPU away.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["at_normal_priority", "current_policy_is_idle", "yield_cpu_to_training"]

T = TypeVar("T")

_normal_priority: ThreadPoolExecutor | None = None
"""One thread with the ordinary policy, started before the app's threads went idle."""
_normal_priority_thread: int | None = None
"""Its native thread id."""


def yield_cpu_to_training() -> bool:
    """Put every thread of this process under SCHED_IDLE, and so whatever they start from now on;
    `at_normal_priority` still starts things with the ordinary policy.

    The app calls it once its first frame is up: starting (imports, the first layout) is most of
    the CPU it ever needs at once, and under SCHED_IDLE on a busy machine that would wait for the
    trainer's gaps.

    Returns:
        True if the process's threads now run under SCHED_IDLE; False where the OS has no such
        policy (not Linux) or refuses it.
    """
    global _normal_priority, _normal_priority_thread
    if not hasattr(os, "SCHED_IDLE"):
        return False
    if _normal_priority is None:
        if current_policy_is_idle():
            return True  # given away by whoever started us: there is no ordinary thread to keep
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="normal-priority")
        # The worker thread is created by the first submit, so from this (still ordinary) thread.
        _normal_priority_thread = executor.submit(threading.get_native_id).result()
        _normal_priority = executor
    try:
        threads = [int(name) for name in os.listdir("/proc/self/task")]
    except OSError:
        threads = [threading.get_native_id()]
    idle = os.sched_param(0)
    for thread in threads:
        if thread == _normal_priority_thread:
            continue
        try:
            os.sched_setscheduler(thread, os.SCHED_IDLE, idle)  # a thread id: that thread (Linux)
        except ProcessLookupError:
            continue  # it ended since the listing
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
