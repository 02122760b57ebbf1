"""`cifar-tui snapshot RUN [--svg FILE | --text] [--size 120x40]`: the monitor, drawn headless.

No TTY is needed (stdin and stdout may be files or pipes) and TensorFlow is never imported: the
app runs on Textual's headless driver (ui/snapshot.py). --text prints plain text, for a chat
message or a report; --svg writes the screen as an SVG file, atomically.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cifar_tui.core.errors import UserError

SIZE_FORM = "--size must be WIDTHxHEIGHT like 120x40"
MIN_SIZE = (40, 10)
MAX_SIZE = (1000, 500)


def parse_size(text: str) -> tuple[int, int]:
    """ "120x40" as (120, 40); UserError naming the form for anything else or out of range."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match:
        raise UserError(f"{SIZE_FORM}, not {text!r}")
    width, height = int(match[1]), int(match[2])
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        raise UserError(
            f"{SIZE_FORM}, from {MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]}; "
            f"not {text!r}"
        )
    return width, height


def add_snapshot_parser(verbs: Any, add_common: Callable[[argparse.ArgumentParser], None]) -> None:
    """The `snapshot` subparser (cli.py calls this with its `_add_common`)."""
    snapshot = verbs.add_parser(
        "snapshot", help="draw RUN's training monitor without a terminal, as text or SVG"
    )
    add_common(snapshot)
    snapshot.add_argument("run", metavar="RUN", help="run name or run folder")
    output = snapshot.add_mutually_exclusive_group()
    output.add_argument("--svg", type=Path, metavar="FILE", help="write the screen as SVG to FILE")
    output.add_argument(
        "--text", action="store_true", help="print the screen as plain text (the default)"
    )
    snapshot.add_argument(
        "--size", default="120x40", metavar="WxH", help="columns x rows drawn (default: 120x40)"
    )


def snapshot(args: argparse.Namespace) -> int:
    """Draw the run's monitor headless and print it (--text) or write it (--svg FILE)."""
    size = parse_size(args.size)
    from cifar_tui.app import make_app
    from cifar_tui.core.rundir.atomic import atomic_write_text
    from cifar_tui.ui.snapshot import render_run_monitor

    app = make_app(models_dir=args.models_dir, open_run=args.run, start_screen="monitor")
    shot = render_run_monitor(app, size)
    if args.svg is None:
        sys.stdout.write(shot.text)
    else:
        atomic_write_text(args.svg, shot.svg)
        print(f"wrote {args.svg} ({shot.seconds:.1f} s)", file=sys.stderr)
    return 0
