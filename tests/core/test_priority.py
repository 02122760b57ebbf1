"""The app yields the CPU to training (SCHED_IDLE), but not the trainers it starts.

Each case runs in a child interpreter: the policy cannot be taken back once given up, and this
test process must not run the rest of the suite under it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling policy")

# Prints, as JSON, the policy seen by each thing the app's thread starts after yielding.
PROBE = textwrap.dedent(
    """
    import json, os, subprocess, sys, threading
    from pathlib import Path
    from cifar_tui.core.host import launcher
    from cifar_tui.core.host import priority

    IS_IDLE = "import os; print(os.sched_getscheduler(0) == os.SCHED_IDLE)"

    def child_is_idle() -> bool:
        out = subprocess.run([sys.executable, "-c", IS_IDLE], capture_output=True, text=True)
        return out.stdout.strip() == "True"

    seen = {"before": priority.current_policy_is_idle()}
    # A thread already running when the app yields (Textual's input and writer threads).
    asked, answered = threading.Event(), threading.Event()

    def earlier_thread() -> None:
        asked.wait()
        seen["earlier thread"] = priority.current_policy_is_idle()
        answered.set()

    threading.Thread(target=earlier_thread).start()
    seen["yielded"] = priority.yield_cpu_to_training()
    asked.set()
    answered.wait()
    seen["yielded again"] = priority.yield_cpu_to_training()
    seen["app thread"] = priority.current_policy_is_idle()
    probe = lambda: seen.update(new_thread=priority.current_policy_is_idle())
    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    seen["process it starts"] = child_is_idle()
    seen["process at_normal_priority starts"] = priority.at_normal_priority(child_is_idle)

    # A trainer the launcher starts: the stand-in writes its own policy where the test reads it.
    out = Path(sys.argv[1])
    launcher.trainer_command = lambda args: [
        sys.executable, "-c", IS_IDLE.replace("print(", f"open({str(out)!r}, 'w').write(str(")
        + ")"
    ]
    launched = launcher.spawn_resume("probe", out.parent / "models", None)
    launched.process.wait()
    seen["trainer"] = out.read_text() == "True"
    print(json.dumps(seen))
    """
)


def test_the_app_threads_idle_but_not_the_trainers_it_starts(
    tmp_path: Path,
) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "trainer-policy")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "before": False,
        "earlier thread": True,
        "yielded": True,
        "yielded again": True,
        "app thread": True,
        "new_thread": True,
        "process it starts": True,  # what would happen to a trainer without at_normal_priority
        "process at_normal_priority starts": False,
        "trainer": False,
    }


def test_without_yielding_at_normal_priority_runs_here() -> None:
    from cifar_tui.core.host import priority

    assert not priority.current_policy_is_idle()
    assert priority.at_normal_priority(lambda: 42) == 42
