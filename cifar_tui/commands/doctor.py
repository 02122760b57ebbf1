"""`cifar-tui doctor`: the facts to check before a long run, and each problem with its fix."""

from __future__ import annotations

import argparse
import time


def doctor(args: argparse.Namespace) -> int:
    """Print the facts, then the problems; exit 1 when there is one, 0 otherwise."""
    from cifar_tui.core.host.doctor_checks import fact_lines, problems
    from cifar_tui.core.host.facts import gather

    started = time.monotonic()
    facts = gather(getattr(args, "data_dir", None), args.models_dir)
    lines = fact_lines(facts)
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        print(f"{label:<{width}}  {value}")
    found = problems(facts)
    took = f"({time.monotonic() - started:.1f} s)"
    if not found:
        print(f"no problems found {took}")
        return 0
    print(f"{len(found)} problem{'s' if len(found) > 1 else ''} {took}:")
    for line in found:
        print(f"  - {line}")
    return 1
