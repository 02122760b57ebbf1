"""Time from launching `cifar-tui` to its first painted frame, through a real pseudo-terminal.

    .venv/bin/python bench/app_startup.py --models-dir models [--runs 5] [--size 120x40]

The first frame counts as painted when the terminal has received the runs list's header ("status"
and "epochs" column titles), what a user first reads. Prints a table of the runs and the median.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchkit import Terminal, cifar_tui_argv, markdown_table

MARKERS = (b"status", b"epochs")


def first_frame_seconds(argv: list[str], columns: int, rows: int, timeout: float = 30.0) -> float:
    """Seconds until every marker has been written to the pty (the process is then killed)."""
    started = time.perf_counter()
    # No answer to the synchronized-output query: BENCHMARKS.md's startup figures were taken so.
    terminal = Terminal(argv, columns, rows, synchronized_output=False)
    try:
        terminal.wait_for(MARKERS, timeout)
        return time.perf_counter() - started
    finally:
        terminal.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", default="models")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    columns, rows = (int(v) for v in args.size.split("x"))
    argv = cifar_tui_argv("--models-dir", args.models_dir)
    times = [first_frame_seconds(argv, columns, rows) for _ in range(args.runs)]
    table = [(index, f"{seconds:.3f}") for index, seconds in enumerate(times, 1)]
    table.append(("median", f"{statistics.median(times):.3f}"))
    print(markdown_table(("run", "launch to first frame (s)"), table))


if __name__ == "__main__":
    main()
