"""Time from launching `cifar-tui` to its first painted frame, through a real pseudo-terminal.

    .venv/bin/python bench/app_startup.py --models-dir models [--runs 5] [--size 120x40]

The first frame counts as painted when the terminal has received the runs list's header ("status"
and "epochs" column titles), what a user first reads. Prints a table of the runs and the median.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import struct
import sys
import termios
import time
from fcntl import ioctl

MARKERS = (b"status", b"epochs")


def first_frame_seconds(argv: list[str], columns: int, rows: int, timeout: float = 30.0) -> float:
    """Seconds until every marker has been written to the pty (the process is then killed)."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child: the app, on a terminal of the given size
        os.environ["TERM"] = "xterm-256color"
        os.execv(argv[0], argv)
    ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    seen = b""
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                if all(marker in seen for marker in MARKERS):
                    return time.perf_counter() - started
        raise RuntimeError(f"no first frame within {timeout} s; got {seen[-200:]!r}")
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", default="models")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    columns, rows = (int(v) for v in args.size.split("x"))
    argv = [sys.executable, "-m", "cifar_tui", "--models-dir", args.models_dir]
    times = [first_frame_seconds(argv, columns, rows) for _ in range(args.runs)]
    print("| run | launch to first frame (s) |")
    print("|---|---|")
    for index, seconds in enumerate(times, 1):
        print(f"| {index} | {seconds:.3f} |")
    print(f"| median | {statistics.median(times):.3f} |")


if __name__ == "__main__":
    main()
