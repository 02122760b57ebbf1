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
import dataclasses
import json
import math
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fcntl import ioctl
from pathlib import Path

from cifar_tui.core.rundir.events import BATCH_EVENT_INTERVAL, EventWriter
from cifar_tui.core.rundir.runs import RunFolder, create_run_folder

QUIET_SECONDS = 0.020
"""A gap this long ends a burst of output (Textual paints at most 60 frames a second)."""
RECIPE_EPOCHS = 125
STEPS_PER_EPOCH = 352
BATCH_SECONDS = BATCH_EVENT_INTERVAL
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
SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"
"""Textual asks whether the terminal has synchronized output (DEC mode 2026, in tmux 3.4+, kitty,
WezTerm, iTerm2, foot...); answering "supported, off" makes it bracket every frame with
SYNC_START/SYNC_END, and such a terminal shows a frame only once it has all of it."""
SYNC_START = b"\x1b[?2026h"
SYNC_END = b"\x1b[?2026l"
EXCLUDE_BEFORE = BATCH_EVENT_INTERVAL + 0.2
"""A non-batch event this long before a press may still be repainting (the tail's poll + 0.1 s
plot redraw timer + a frame), so such a press is left out."""


# --- parsing what the terminal received (pure functions) ----------------------------------------


@dataclass(frozen=True)
class Chunk:
    """One read from the pty master: when it returned and what it held."""

    time: float
    data: bytes


@dataclass(frozen=True)
class Burst:
    """Output with no gap longer than the quiet time: first and last read, all bytes."""

    start: float
    end: float
    data: bytes


@dataclass(frozen=True)
class Response:
    """What a key press got, in seconds after the key was written."""

    first_byte: float
    repaint_done: float
    bytes: int
    frame_done: float | None = None
    """End of the synchronized frame that holds the marker: when the repaint shows on a terminal
    with synchronized output (None without it). Unlike `repaint_done` it cannot run on into a
    progress-bar frame that follows within the quiet time."""
    cpu: float = 0.0
    """Seconds the app's threads ran from the key to the end of the repaint (and its quiet)."""
    waited: float = 0.0
    """Seconds the app's threads were runnable but waited for a CPU (other processes ran)."""


def bursts(chunks: Sequence[Chunk], quiet: float = QUIET_SECONDS) -> list[Burst]:
    """Group reads into bursts: a new burst starts after a gap of more than `quiet` seconds."""
    groups: list[list[Chunk]] = []
    for chunk in chunks:
        if groups and chunk.time - groups[-1][-1].time <= quiet:
            groups[-1].append(chunk)
        else:
            groups.append([chunk])
    return [
        Burst(group[0].time, group[-1].time, b"".join(chunk.data for chunk in group))
        for group in groups
    ]


def key_response(
    chunks: Sequence[Chunk],
    sent: float,
    marker: bytes,
    now: float,
    quiet: float = QUIET_SECONDS,
) -> Response | None:
    """The response to a key written at `sent`, once it is complete; else None.

    Args:
        chunks: reads so far (earlier ones are ignored).
        sent: when the key was written.
        marker: text only the view the key shows paints; the repaint is the first burst after
            `sent` that holds it.
        now: the current time: the marker's burst is complete once `quiet` has passed since its
            last read with no further read.
        quiet: the gap that ends a burst.

    Returns:
        First byte and end of the repaint relative to `sent`, and the repaint's size; None while
        the marker has not arrived or its burst may still go on.
    """
    after = [chunk for chunk in chunks if chunk.time >= sent]
    groups = bursts(after, quiet)
    for index, burst in enumerate(groups):
        if marker in burst.data:
            if index == len(groups) - 1 and now - burst.end <= quiet:
                return None  # more of this burst may still come
            frame = marker_frame(after, marker)
            return Response(
                after[0].time - sent,
                burst.end - sent,
                len(burst.data),
                frame_done=None if frame is None else frame[0] - sent,
            )
    return None


def marker_frame(chunks: Sequence[Chunk], marker: bytes) -> tuple[float, int] | None:
    """When the synchronized-output frame that holds `marker` arrived whole, and its size.

    None when the output has no such frame (the terminal did not offer synchronized output) or it
    has not ended yet.
    """
    data = b"".join(chunk.data for chunk in chunks)
    at = data.find(marker)
    if at < 0:
        return None
    start = data.rfind(SYNC_START, 0, at)
    end = data.find(SYNC_END, at)
    if start < 0 or end < 0:
        return None
    last_byte = end + len(SYNC_END) - 1
    offset = 0
    for chunk in chunks:
        offset += len(chunk.data)
        if offset > last_byte:
            return chunk.time, last_byte + 1 - start
    return None


def describe(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, 90th percentile (nearest rank) and maximum."""
    ordered = sorted(values)
    rank = max(math.ceil(0.9 * len(ordered)), 1)
    return statistics.median(ordered), ordered[rank - 1], ordered[-1]


def overlaps_event(sent: float, done: float, event_times: Sequence[float]) -> bool:
    """Whether a non-batch event was written from EXCLUDE_BEFORE before `sent` until `done`."""
    return any(sent - EXCLUDE_BEFORE <= moment <= done for moment in event_times)


# --- the terminal -------------------------------------------------------------------------------


class Terminal:
    """A process on a pty of a given size; `pump` reads what it writes, stamped."""

    def __init__(
        self,
        argv: list[str],
        columns: int,
        rows: int,
        cwd: Path | None = None,
        synchronized_output: bool = True,
    ) -> None:
        self.synchronized_output = synchronized_output
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the app, on a terminal of the given size from its first query
            try:
                ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
                os.environ["TERM"] = "xterm-256color"
                os.environ.pop("NO_COLOR", None)
                if cwd is not None:
                    os.chdir(cwd)
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.chunks: list[Chunk] = []

    def pump(
        self,
        until: float,
        done: Callable[[float], bool] | None = None,
        poll: float | None = None,
    ) -> bool:
        """Read until perf_counter() reaches `until` or `done(now)` is true; returns the latter.

        `done` is asked after each read and, with `poll`, at least every `poll` seconds.
        """
        while True:
            now = time.perf_counter()
            if done is not None and done(now):
                return True
            if now >= until:
                return False
            timeout = until - now if poll is None else min(until - now, poll)
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:  # the app exited
                    raise RuntimeError(f"the app exited; last output {self.tail()!r}") from None
                if not data:
                    raise RuntimeError(f"the app exited; last output {self.tail()!r}")
                self.chunks.append(Chunk(time.perf_counter(), data))
                if self.synchronized_output and SYNC_QUERY in data:
                    os.write(self.fd, SYNC_REPLY)  # as such a terminal answers

    def wait_for(self, markers: Sequence[bytes], timeout: float) -> None:
        """Read until every marker has arrived (since the start)."""
        seen = bytearray()
        count = 0

        def arrived(_now: float) -> bool:
            nonlocal count
            for chunk in self.chunks[count:]:
                seen.extend(chunk.data)
            count = len(self.chunks)
            return all(marker in seen for marker in markers)

        if not self.pump(time.perf_counter() + timeout, arrived):
            raise RuntimeError(f"no {markers} within {timeout} s; last output {self.tail()!r}")

    def wait_quiet(self, quiet: float, timeout: float) -> None:
        """Read until nothing has arrived for `quiet` seconds (or `timeout`)."""
        started = time.perf_counter()

        def quiet_now(now: float) -> bool:
            last = self.chunks[-1].time if self.chunks else started
            return now - max(last, started) >= quiet

        self.pump(started + timeout, quiet_now, poll=quiet / 4)

    def schedstat(self) -> tuple[float, float]:
        """Seconds the app's threads have run and have waited runnable, summed (Linux)."""
        ran = waited = 0
        for task in Path(f"/proc/{self.pid}/task").glob("*/schedstat"):
            try:
                fields = task.read_text().split()
            except OSError:  # a thread that just ended
                continue
            ran, waited = ran + int(fields[0]), waited + int(fields[1])
        return ran / 1e9, waited / 1e9

    def tail(self) -> bytes:
        return b"".join(chunk.data for chunk in self.chunks[-5:])[-300:]

    def press(self, key: bytes, marker: bytes, timeout: float = 5.0) -> Response | None:
        """Write `key` and wait for the burst holding `marker` to end (None: none in time)."""
        start = len(self.chunks)
        ran, waited = self.schedstat()
        sent = time.perf_counter()
        os.write(self.fd, key)
        result: list[Response] = []

        def answered(now: float) -> bool:
            response = key_response(self.chunks[start:], sent, marker, now)
            if response is not None:
                result.append(response)
            return response is not None

        self.pump(sent + timeout, answered, poll=QUIET_SECONDS / 4)
        if not result:
            return None
        ran_after, waited_after = self.schedstat()
        return dataclasses.replace(result[0], cpu=ran_after - ran, waited=waited_after - waited)

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


# --- the runs -----------------------------------------------------------------------------------


def _accuracy(progress: float) -> float:
    return 0.3 + 0.5 * (1.0 - math.exp(-progress / 8.0))


def total_epochs(history: int) -> int:
    """The run's epoch count: the recipe's, or more so that it never ends while measured."""
    return max(RECIPE_EPOCHS, history + 100)


def _batch(writer: EventWriter, epoch: int, batch: int, batches: int) -> None:
    accuracy = _accuracy(epoch - 1 + batch / batches)
    writer.append(
        "batch",
        epoch=epoch,
        step=STEPS_PER_EPOCH * batch // batches,
        steps=STEPS_PER_EPOCH,
        loss=round(2.3 * (1.0 - accuracy) + 0.3, 4),
        accuracy=round(accuracy, 4),
        images_per_second=round(4500.0 + 100.0 * math.sin(epoch * batches + batch), 1),
    )


def _epoch_end(writer: EventWriter, epoch: int, epochs: int, seconds: float) -> None:
    accuracy = _accuracy(epoch)
    writer.append(
        "epoch_ended",
        epoch=epoch,
        epochs=epochs,
        loss=round(2.3 * (1.0 - accuracy) + 0.3, 4),
        accuracy=round(accuracy, 4),
        val_loss=round(2.3 * (1.0 - accuracy) + 0.45, 4),
        val_accuracy=round(accuracy - 0.03 + 0.01 * math.sin(epoch), 4),
        test_accuracy=round(accuracy - 0.03, 4),
        learning_rate=0.001 / (1.0 + 1e-6 * epoch * STEPS_PER_EPOCH),
        seconds=seconds,
        train_seconds=seconds * 0.9,
        images_per_second=round(128 * STEPS_PER_EPOCH / (seconds * 0.9), 1),
        partial=False,
    )
    writer.append("checkpoint_saved", epoch=epoch, step=0, path=f"checkpoint/epoch-{epoch:04d}.npz")
    writer.append("predictions_saved", epoch=epoch, test_accuracy=round(accuracy - 0.03, 4))


def _batches_per_epoch(epoch_seconds: float) -> int:
    return max(round(epoch_seconds / BATCH_SECONDS), 1)


def write_history(
    models_dir: Path, name: str, history: int, epoch_seconds: float, finished: bool
) -> RunFolder:
    """A run with `history` epochs done, batch events included (and, if `finished`, its end),
    as the trainer writes them at `epoch_seconds` per epoch."""
    run = create_run_folder(models_dir, name)
    epochs = total_epochs(history)
    run.config_path.write_text(f'preset = "recipe-2018"\nepochs = {epochs}\n', encoding="utf-8")
    batches = _batches_per_epoch(epoch_seconds)
    with EventWriter(run.events_path, fsync=False) as writer:
        writer.append(
            "run_started",
            run=name,
            config={"preset": "recipe-2018", "epochs": epochs, "batch_size": 128},
            device="CPU",
            strategy="default",
            replicas=1,
            mixed_precision="float32",
            steps_per_epoch=STEPS_PER_EPOCH,
            epochs=epochs,
            initial_epoch=0,
            initial_step=0,
            pid=os.getpid(),
            resumed=False,
        )
        for epoch in range(1, history + 1):
            for batch in range(1, batches + 1):
                _batch(writer, epoch, batch, batches)
            _epoch_end(writer, epoch, epochs, epoch_seconds)
        if finished:
            writer.append("finished", epoch=history, test_accuracy=0.7, test_loss=0.9)
    return run


def stream(run_path: Path, history: int, epoch_seconds: float) -> None:
    """The streaming trainer stand-in: holds the lock, appends events at the trainer's rates."""
    run = RunFolder(run_path)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    batches, epochs = _batches_per_epoch(epoch_seconds), total_epochs(history)
    with run.lock(), EventWriter(run.events_path) as writer:  # fsync per line, as the trainer
        epoch, tick = history + 1, 0
        started = time.perf_counter()
        print("streaming", flush=True)
        while not stopping and epoch <= epochs:
            tick += 1
            delay = started + tick * BATCH_SECONDS - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            batch = (tick - 1) % batches + 1
            _batch(writer, epoch, batch, batches)
            if batch == batches:
                _epoch_end(writer, epoch, epochs, epoch_seconds)
                epoch += 1


def start_streamer(run: RunFolder, history: int, epoch_seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--stream",
            str(run.path),
            "--history",
            str(history),
            "--epoch-seconds",
            str(epoch_seconds),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "streaming":
        raise RuntimeError("the streaming process did not start")
    return process


def start_trainer(models_dir: Path, data_dir: str, log: Path) -> tuple[subprocess.Popen, RunFolder]:
    """A real `cifar-tui train`; returns once it has written its first batch event."""
    name = "bench-real"
    argv = [
        sys.executable, "-m", "cifar_tui", "train", "--preset", "quick", "--train-size", "2000",
        "--epochs", "100", "--data-dir", data_dir, "--models-dir", str(models_dir),
        "--name", name,
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    run = RunFolder(models_dir / name)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the trainer exited: {log.read_text()[-2000:]}")
        if any(event["type"] == "batch" for event in run.events()):
            return process, run
        time.sleep(0.5)
    process.kill()
    raise RuntimeError("the trainer wrote no batch event in 10 minutes")


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
        float(event["time"])
        for event in run.events()
        if event["type"] != "batch" and isinstance(event.get("time"), int | float)
    ]


def app_argv(run: RunFolder, models_dir: Path, priority: str = "idle") -> list[str]:
    return [sys.executable, "-m", "cifar_tui", "watch", run.name, "--models-dir", str(models_dir),
            "--app-priority", priority]  # fmt: skip


def print_tables(rates: list[Rate], latencies: list[Latencies], size: str) -> None:
    print(f"Terminal output at {size} (KB = 1000 bytes; goal: 20 KB/s while a run streams)\n")
    print("| app on | window (s) | bytes | KB/s | bursts/s | bytes/burst | app CPU (% of a core) |")
    print("|---|---|---|---|---|---|---|")
    for rate in rates:
        per_burst = rate.bytes / rate.bursts if rate.bursts else 0
        print(
            f"| {rate.label} | {rate.seconds:.1f} | {rate.bytes:,} | "
            f"{rate.bytes / rate.seconds / 1000:.2f} | {rate.bursts / rate.seconds:.1f} | "
            f"{per_burst:,.0f} | {100 * rate.cpu / rate.seconds:.1f} |"
        )
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
    columns, rows = (int(value) for value in args.size.split("x"))
    load_before = os.getloadavg()[0]
    rates: list[Rate] = []
    latencies: list[Latencies] = []
    with tempfile.TemporaryDirectory(prefix="app-latency-") as temporary:
        models_dir = Path(temporary) / "models"
        if args.real_trainer:
            writer, run = start_trainer(models_dir, args.data_dir, Path(temporary) / "train.log")
            label = "live run (real trainer, quick preset, 2,000 images)"
        else:
            run = write_history(models_dir, "live", args.history, args.epoch_seconds, False)
            writer = start_streamer(run, args.history, args.epoch_seconds)
            label = (
                f"live run ({args.history} epochs done; batch every {BATCH_SECONDS:g} s, "
                f"epoch every {args.epoch_seconds:g} s)"
            )
        try:
            terminal = Terminal(
                app_argv(run, models_dir, args.app_priority),
                columns,
                rows,
                synchronized_output=not args.no_sync,
            )
            try:
                terminal.wait_for(MONITOR_READY, timeout=60)
                terminal.pump(time.perf_counter() + args.settle)
                rates.append(measure_rate(terminal, label, args.window))
                if args.dump:
                    args.dump.write_bytes(_dump(rates[-1].chunks))
                events = lambda: non_batch_times(run)  # noqa: E731
                panes = measure_presses(terminal, PANE_PRESSES, args.presses, args.spacing, events)
                curves = measure_presses(
                    terminal, CURVE_PRESSES, args.presses, args.spacing, events
                )
                latencies += [*panes, pooled("1 and 2 together", panes)]
                latencies += [*curves, pooled("v together", curves)]
            finally:
                terminal.close()
        finally:
            stop_process(writer)
        if not args.no_idle:
            finished = write_history(models_dir, "ended", args.history, args.epoch_seconds, True)
            terminal = Terminal(
                app_argv(finished, models_dir, args.app_priority),
                columns,
                rows,
                synchronized_output=not args.no_sync,
            )
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


def _dump(window: Sequence[Chunk]) -> bytes:
    """Reads as JSON lines: {"t": seconds after the first read, "data": the bytes as latin-1}."""
    lines = [
        json.dumps({"t": round(c.time - window[0].time, 4), "data": c.data.decode("latin-1")})
        for c in window
    ]
    return ("\n".join(lines) + "\n").encode()


if __name__ == "__main__":
    main()
