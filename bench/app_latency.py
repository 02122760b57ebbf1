"""The app as a user sees it while a run trains: key-press-to-repaint latency and terminal bytes/s.

    .venv/bin/python bench/app_latency.py [--size 120x40] [--window 30] [--presses 20]
        [--history 5] [--epoch-seconds 10] [--real-trainer [--data-dir DIR]] [--dump FILE]
        [--app-priority idle|normal]

Method. `cifar-tui watch RUN --models-dir DIR` runs in a real pseudo-terminal (pty.fork, the size
set with TIOCSWINSZ before exec, TERM=xterm-256color); everything the app writes is read from the
pty master as it arrives, each read stamped with time.perf_counter(). The app's CPU time and its
time spent runnable but waiting for a CPU come from /proc/PID/task/*/schedstat (Linux), so that
what the app costs can be told apart from what other processes on the machine cost it.

The live run is a temporary models folder whose run already holds --history (5) epochs, batch
events included, and whose events.jsonl a separate streaming process appends to at the real
trainer's rates: a `batch` event every 0.5 s (BATCH_EVENT_INTERVAL in core/rundir/events.py) and,
every --epoch-seconds (10), `epoch_ended`, `checkpoint_saved` and `predictions_saved`. The
streamer holds the run's trainer.lock (its own pid), so the app shows the run as running. With
--real-trainer a real `cifar-tui train --preset quick --train-size 2000 --epochs 100` writes the
run instead, and the measuring starts at its first `batch` event.

1. Bytes/s: once the monitor's first frame is on screen (its footer and progress bars) and a
   --settle time (5 s) has passed, every byte read over --window seconds (30), no keys pressed.
   The same app on a finished run (the same history, nothing streaming) gives the idle rate.
   KB = 1000 bytes. A "burst" is output with no gap over 20 ms, about one frame.
2. Latency, while the run streams, one key press every 0.5 s, --presses (20) counted per row,
   after one uncounted round (the first visit of a view builds it):
   - "1" and "2" in turn: the runs list, then the monitor again (a whole-screen repaint);
   - "v" four times round: the curves pane cycles all -> loss -> accuracy -> lr -> all.
   Each press is sent once the terminal has been quiet for 20 ms (so that a streaming frame
   under way is not taken for the answer) and is measured from the os.write of the key to
   (a) the first byte read after it, and (b) the end of the repaint: the last byte of the first
   burst that holds text only the target view paints ("best val", the runs list's header; the
   monitor's footer key "Curves"; the plot titles for the curves views), so without the 20 ms of
   quiet that closes the burst. A press is left out (and counted) when a non-batch event was
   written from 0.6 s before it to the end of its repaint: those events repaint the curves, the
   epoch table and the status line, and could pass for the answer.
   The pty answers Textual's query for synchronized output (DEC mode 2026) as tmux 3.4+, kitty
   or WezTerm do, so each frame comes bracketed, and (c) "frame done" is when the frame holding
   the marker ended: what such a terminal shows, and unlike (b) it cannot run on into a
   progress-bar frame that a batch event sends within 20 ms. --no-sync answers as a terminal
   without it (frames unbracketed; only (b)).
Prints markdown tables; the goals are 50 ms to the end of the repaint and 20 KB/s at 120x40.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from benchkit import (
    QUIET_SECONDS,
    Chunk,
    Response,
    Terminal,
    bursts,
    cifar_tui_argv,
    describe,
    markdown_table,
    stop_process,
)
from streamed_run import BATCH_SECONDS, start_trainer, stream, write_history

from cifar_tui.core.rundir.events import BATCH_EVENT_INTERVAL
from cifar_tui.core.rundir.folder import RunFolder

MONITOR_READY = (b"Curves", b"img/s")
"""The monitor's first frame: its footer's curves key and the step progress bar."""
PANE_PRESSES = (
    (b"1", b"best val", "1: monitor -> runs list"),
    (b"2", b"Curves", "2: runs list -> monitor"),
)
"""(key, text only the target view paints, label): the runs list's header, the monitor's footer
(the monitor's footer is painted only with the whole monitor or when its keys change)."""
CURVE_PRESSES = (
    (b"v", b"loss", "v: curves all -> loss"),
    (b"v", b"accuracy", "v: curves loss -> accuracy"),
    (b"v", b"learning rate", "v: curves accuracy -> lr"),
    (b"v", b"learning rate", "v: curves lr -> all"),
)
"""The curves pane's cycle from its first view, "all"; the markers are the plot titles (the
streaming batch events repaint only the progress bars and the GPU pane)."""
EXCLUDE_BEFORE = BATCH_EVENT_INTERVAL + 0.2
"""A non-batch event this long before a press may still be repainting (the tail's poll + 0.1 s
plot redraw timer + a frame), so such a press is left out."""


def overlaps_event(sent: float, done: float, event_times: Sequence[float]) -> bool:
    """Whether a non-batch event was written from EXCLUDE_BEFORE before `sent` until `done`."""
    return any(sent - EXCLUDE_BEFORE <= moment <= done for moment in event_times)


# --- the runs ---------------------------------------------------------------------------------


def start_streamer(run: RunFolder, history: int, epoch_seconds: float) -> subprocess.Popen[str]:
    """This script as the streaming process (`--stream`); returns once it holds the lock."""
    argv = [sys.executable, __file__, "--stream", str(run.path), "--history", str(history),
            "--epoch-seconds", str(epoch_seconds)]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    if process.stdout.readline().strip() != "streaming":
        raise RuntimeError("the streaming process did not start")
    return process


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Rate:
    label: str
    seconds: float
    bytes: int
    bursts: int
    chunks: list[Chunk]
    cpu: float
    """Seconds the app's threads ran in the window."""


@dataclass
class Latencies:
    label: str
    responses: list[Response]
    excluded: int
    missed: int


def measure_rate(terminal: Terminal, label: str, window: float) -> Rate:
    start = len(terminal.chunks)
    ran, _ = terminal.schedstat()
    began = time.perf_counter()
    terminal.pump(began + window)
    seconds = time.perf_counter() - began
    cpu = terminal.schedstat()[0] - ran
    window_chunks = terminal.chunks[start:]
    total = sum(len(chunk.data) for chunk in window_chunks)
    return Rate(label, seconds, total, len(bursts(window_chunks)), window_chunks, cpu)


def measure_presses(
    terminal: Terminal,
    cycle: Sequence[tuple[bytes, bytes, str]],
    rounds: int,
    spacing: float,
    event_times: Callable[[], list[float]],
) -> list[Latencies]:
    """Press the keys of `cycle` in turn, 1 + `rounds` times round; the first round is a warm-up
    (a view's first visit builds it). Returns one result per label, in `cycle`'s order."""
    samples: list[tuple[str, float, Response | None]] = []  # (label, wall time sent, response)
    for index in range(len(cycle) * (1 + rounds)):
        key, marker, label = cycle[index % len(cycle)]
        terminal.wait_quiet(QUIET_SECONDS, timeout=2.0)
        wall = time.time()
        response = terminal.press(key, marker)
        if index >= len(cycle):
            samples.append((label, wall, response))
        terminal.pump(time.perf_counter() + spacing)
    moments = event_times()
    results = {label: Latencies(label, [], 0, 0) for _key, _marker, label in cycle}
    for label, wall, response in samples:
        result = results[label]
        if response is None:
            result.missed += 1
        elif overlaps_event(wall, wall + response.repaint_done, moments):
            result.excluded += 1
        else:
            result.responses.append(response)
    return list(results.values())


def pooled(label: str, parts: Sequence[Latencies]) -> Latencies:
    """Several rows' presses as one row."""
    return Latencies(
        label,
        [response for part in parts for response in part.responses],
        sum(part.excluded for part in parts),
        sum(part.missed for part in parts),
    )


def non_batch_times(run: RunFolder) -> list[float]:
    return [
        event.time for event in run.events() if event.type != "batch" and event.time is not None
    ]


def open_app(run: RunFolder, args: argparse.Namespace) -> Terminal:
    """`cifar-tui watch RUN` on a pty of --size, answering as --no-sync says."""
    columns, rows = (int(value) for value in args.size.split("x"))
    argv = cifar_tui_argv("watch", run.name, "--models-dir", str(run.path.parent),
                          "--app-priority", args.app_priority)  # fmt: skip
    return Terminal(argv, columns, rows, synchronized_output=not args.no_sync)


def print_tables(rates: list[Rate], latencies: list[Latencies], size: str) -> None:
    print(f"Terminal output at {size} (KB = 1000 bytes; goal: 20 KB/s while a run streams)\n")
    header = ("app on", "window (s)", "bytes", "KB/s", "bursts/s", "bytes/burst",
              "app CPU (% of a core)")  # fmt: skip
    print(markdown_table(header, [
        (rate.label, f"{rate.seconds:.1f}", f"{rate.bytes:,}",
         f"{rate.bytes / rate.seconds / 1000:.2f}", f"{rate.bursts / rate.seconds:.1f}",
         f"{rate.bytes / rate.bursts if rate.bursts else 0:,.0f}",
         f"{100 * rate.cpu / rate.seconds:.1f}")
        for rate in rates
    ]))  # fmt: skip
    print("\nKey press to repaint while the run streams, ms (goal: repaint done in 50 ms)\n")
    print(
        "| keys | presses kept / left out / missed | first byte: median / p90 / max "
        "| frame done: median / p90 / max | burst done: median / p90 / max "
        "| repaint bytes | app CPU | app waiting for a CPU |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for result in latencies:
        counts = f"{len(result.responses)} / {result.excluded} / {result.missed}"
        if not result.responses:
            print(f"| {result.label} | {counts} | - | - | - | - | - | - |")
            continue
        first = describe([1000 * r.first_byte for r in result.responses])
        frames = [1000 * r.frame_done for r in result.responses if r.frame_done is not None]
        frame = " / ".join(f"{v:.0f}" for v in describe(frames)) if frames else "-"
        done = describe([1000 * r.repaint_done for r in result.responses])
        size = statistics.median(r.bytes for r in result.responses)
        cpu = statistics.median(1000 * r.cpu for r in result.responses)
        waited = statistics.median(1000 * r.waited for r in result.responses)
        print(
            f"| {result.label} | {counts} | {' / '.join(f'{v:.0f}' for v in first)} | {frame} | "
            f"{' / '.join(f'{v:.0f}' for v in done)} | {size:,.0f} | {cpu:.0f} | {waited:.0f} |"
        )
    print(
        "\n(frame done: the synchronized-output frame holding the new view ended, when a "
        "terminal with mode 2026 shows it; burst done: the last byte before 20 ms of quiet, "
        "which also takes in a progress-bar frame that follows within 20 ms.)"
    )
    print(
        "\n(repaint bytes, app CPU and waiting are medians; CPU and waiting are summed over the "
        "app's threads from the key to 20 ms after the repaint.)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="120x40", help="COLUMNSxROWS")
    parser.add_argument("--window", type=float, default=30.0, help="seconds of counting bytes")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds after the first frame")
    parser.add_argument("--presses", type=int, default=20, help="counted presses per table row")
    parser.add_argument("--spacing", type=float, default=0.5, help="seconds between presses")
    parser.add_argument("--epoch-seconds", type=float, default=10.0, help="streamed epochs' length")
    parser.add_argument("--history", type=int, default=5, help="epochs in the run before streaming")
    parser.add_argument("--real-trainer", action="store_true", help="a real `cifar-tui train`")
    parser.add_argument("--data-dir", default="../shared/data", help="CIFAR-10 (--real-trainer)")
    parser.add_argument("--no-idle", action="store_true", help="skip the finished-run rate")
    parser.add_argument(
        "--no-sync",
        action="store_true",
        help="answer as a terminal without synchronized output (DEC mode 2026) would",
    )
    parser.add_argument(
        "--app-priority", choices=("idle", "normal"), default="idle",
        help="the app's --app-priority (idle, as shipped, or normal)",
    )  # fmt: skip
    parser.add_argument("--dump", type=Path, help="write the streaming window's bytes here")
    parser.add_argument("--stream", type=Path, help=argparse.SUPPRESS)  # the streaming process
    args = parser.parse_args(argv)
    if args.stream:
        stream(args.stream, args.history, args.epoch_seconds)
        return
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="app-latency-") as temporary:
        rates, latencies = measure_live(args, Path(temporary))
        if not args.no_idle:
            models_dir = Path(temporary) / "models"
            finished = write_history(models_dir, "ended", args.history, args.epoch_seconds, True)
            terminal = open_app(finished, args)
            try:
                terminal.wait_for((b"Curves", b"finished"), timeout=60)
                terminal.pump(time.perf_counter() + args.settle)
                rates.append(measure_rate(terminal, "finished run (idle)", args.window))
            finally:
                terminal.close()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, 1-minute load average "
        f"{load_before:.2f} before and {os.getloadavg()[0]:.2f} after\n"
    )
    print_tables(rates, latencies, args.size)


def measure_live(args: argparse.Namespace, temporary: Path) -> tuple[list[Rate], list[Latencies]]:
    """Bytes/s and key presses while a run streams (the fake trainer, or a real one)."""
    models_dir = temporary / "models"
    if args.real_trainer:
        writer, run = start_trainer(models_dir, args.data_dir, temporary / "train.log")
        label = "live run (real trainer, quick preset, 2,000 images)"
    else:
        run = write_history(models_dir, "live", args.history, args.epoch_seconds, False)
        writer = start_streamer(run, args.history, args.epoch_seconds)
        label = (
            f"live run ({args.history} epochs done; batch every {BATCH_SECONDS:g} s, "
            f"epoch every {args.epoch_seconds:g} s)"
        )
    try:
        terminal = open_app(run, args)
        try:
            terminal.wait_for(MONITOR_READY, timeout=60)
            terminal.pump(time.perf_counter() + args.settle)
            rates = [measure_rate(terminal, label, args.window)]
            if args.dump:
                args.dump.write_bytes(_dump(rates[-1].chunks))

            def presses(cycle: Sequence[tuple[bytes, bytes, str]]) -> list[Latencies]:
                times = lambda: non_batch_times(run)  # noqa: E731
                return measure_presses(terminal, cycle, args.presses, args.spacing, times)

            panes, curves = presses(PANE_PRESSES), presses(CURVE_PRESSES)
        finally:
            terminal.close()
    finally:
        stop_process(writer)
    latencies = [*panes, pooled("1 and 2 together", panes)]
    return rates, latencies + [*curves, pooled("v together", curves)]


def _dump(window: Sequence[Chunk]) -> bytes:
    """Reads as JSON lines: {"t": seconds after the first read, "data": the bytes as latin-1}."""
    lines = [
        json.dumps({"t": round(c.time - window[0].time, 4), "data": c.data.decode("latin-1")})
        for c in window
    ]
    return ("\n".join(lines) + "\n").encode()


if __name__ == "__main__":
    main()
