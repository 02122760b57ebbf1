"""Kill a real `cifar-tui train` N times at random moments, resume each time, check every file.

A tiny run (a synthetic CIFAR-10 archive of 500 training and 100 test images, written here)
is started, then SIGKILLed at a moment drawn from five kinds: during start-up, at a random time,
mid-epoch, right after an `epoch_ended` event (while the checkpoint is being written) and right
after a `checkpoint_saved` event (while model.keras and predictions.npz are being written). After
every kill the run's files are checked; then `cifar-tui train --resume` continues it. After the
last kill a final resume must train to the configured epoch count, and plain Keras (no cifar-tui
import) must load model.keras and reproduce the run's test accuracy.

    .venv/bin/python bench/fault_injection.py [--kills 20] [--epochs 40] [--seed 0]
        [--workdir DIR] [--json FILE]

Checked after each kill (a file that fails any check counts as corrupt):
- events.jsonl: every complete line is a JSON event; only the last line may be torn, and the
  project's reader skips it;
- checkpoint/latest.json names an .npz whose every array reads (zip CRCs checked), never an
  older checkpoint than before the kill;
- model.keras is a zip whose members pass their CRC check (`testzip`) and holds a Keras model's
  three members; predictions.npz and augmentation_preview.npz read whole; config.toml validates.
Leftover temp files of interrupted writes are counted separately: they show a kill landed
mid-write; the next resume deletes them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import random
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from benchkit import cifar_tui_argv
from run_checks import check_files, litter, position

from cifar_tui.core.rundir.event_types import Event
from cifar_tui.core.rundir.events import EventTail, read_events
from cifar_tui.core.rundir.lock import holder_alive, read_lock

MODES = ("startup", "random", "mid-epoch", "epoch-end", "checkpoint")
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")  # fmt: skip
SEGMENT_TIMEOUT = 300.0
POLL_SECONDS = 0.002

# --- a synthetic archive in the real format (as tests/conftest.py writes it) ----------------------

COLOURS = np.array(
    [[220, 40, 40], [40, 220, 40], [40, 40, 220], [220, 220, 40], [220, 40, 220],
     [40, 220, 220], [128, 128, 128], [250, 140, 20], [20, 90, 140], [140, 20, 90]],
    dtype=np.float32,
)  # fmt: skip


def synthetic_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % 10)
    noise = rng.normal(0.0, 40.0, size=(n, 32, 32, 3)).astype(np.float32)
    images = np.clip(COLOURS[labels][:, None, None, :] + noise, 0, 255).astype(np.uint8)
    return images, labels.astype(np.uint8)


def write_archive(folder: Path, per_batch: int = 100, test_size: int = 100) -> Path:
    members = {"batches.meta": pickle.dumps({b"label_names": [n.encode() for n in CLASS_NAMES]})}
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, name in enumerate(names):
        images, labels = synthetic_images(test_size if name == "test_batch" else per_batch, i)
        members[name] = pickle.dumps({
            b"batch_label": name.encode(), b"labels": [int(v) for v in labels],
            b"data": np.ascontiguousarray(images.transpose(0, 3, 1, 2)).reshape(len(images), -1),
        }, protocol=4)  # fmt: skip
    archive = folder / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return archive


# --- the kills ------------------------------------------------------------------------------------


@dataclass
class Kill:
    number: int
    mode: str
    command: str
    pid: int
    seconds_alive: float = 0.0
    checkpoint_at_launch: tuple[int, int] | None = None
    checkpoint_before_kill: tuple[int, int] | None = None
    checkpoint_after_kill: tuple[int, int] | None = None
    progress_at_kill: float = 0.0
    epochs_lost: float = 0.0
    resumed_from: tuple[int, int] | None = None
    lock_taken_over: bool = False
    in_flight: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    note: str = ""


def epochs(point: tuple[int, int] | None, steps: int) -> float:
    return 0.0 if point is None else point[0] + point[1] / steps


def trained(event: Event, steps: int) -> float:
    """Epochs trained as of a batch or epoch_ended event (0 for any other event)."""
    if event.type == "batch":
        return event.epoch - 1 + event.step / steps
    return float(event.epoch) if event.type == "epoch_ended" else 0.0


def segment(number: int, mode: str, command: list[str], run: Path, log: Path,
            rng: random.Random, known_torn: set[bytes]) -> Kill:  # fmt: skip
    """Start one trainer, kill it at a moment of the given kind, check the files."""
    tail = EventTail(run / "events.jsonl")
    tail.poll()  # only this segment's events from here on
    at_launch = position(run)
    stale_lock = read_lock(run / "trainer.lock")
    litter_at_launch = set(litter(run)) if run.exists() else set()
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)  # fmt: skip
    kill = Kill(number, mode, " ".join(command[3:5]), process.pid, checkpoint_at_launch=at_launch)
    started = time.monotonic()
    kill_at = {"startup": started + rng.uniform(0.3, 6.0),
               "random": started + rng.uniform(1.0, 16.0)}.get(mode)  # fmt: skip
    trigger = {"mid-epoch": "batch", "epoch-end": "epoch_ended", "checkpoint": "checkpoint_saved"}
    steps, progress = 50, epochs(at_launch, 50)
    saw_start = False
    while True:
        now = time.monotonic()
        for event in tail.poll():
            if event.type == "run_started":
                steps, saw_start = event.steps_per_epoch, True
                kill.resumed_from = (event.initial_epoch, event.initial_step)
            progress = max(progress, trained(event, steps))
            if kill_at is None and event.type == trigger.get(mode):
                # Mid-epoch: anywhere in the next epoch and a half. Epoch end: while the
                # checkpoint is written (a few ms). Checkpoint: while model.keras is written.
                delay = {"mid-epoch": rng.uniform(0.0, 3.0), "epoch-end": rng.uniform(0.0, 0.03),
                         "checkpoint": rng.uniform(0.0, 0.08)}[mode]  # fmt: skip
                kill_at = now + delay
        if process.poll() is not None:
            kill.note = f"exited by itself with code {process.returncode}"
            break
        # The first trainer creates the run: kill it only once the folder is a run (config).
        armed = number > 1 or (run / "config.toml").exists()
        if armed and ((kill_at is not None and now >= kill_at) or now - started > SEGMENT_TIMEOUT):
            kill.checkpoint_before_kill = position(run)
            for event in tail.poll():  # the very last events before the kill
                progress = max(progress, trained(event, steps))
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            break
        time.sleep(POLL_SECONDS)
    kill.seconds_alive = time.monotonic() - started
    if not saw_start:
        kill.resumed_from = None
    kill.checkpoint_after_kill = position(run)
    kill.progress_at_kill = progress
    kill.epochs_lost = max(0.0, progress - epochs(kill.checkpoint_after_kill, steps))
    holder = read_lock(run / "trainer.lock")
    kill.lock_taken_over = bool(
        stale_lock and holder and holder["pid"] == process.pid and stale_lock["pid"] != process.pid
    )
    if holder and holder_alive(holder):
        kill.corrupt.append(f"trainer.lock names a live pid {holder['pid']}")
    # New litter only: a trainer killed before its clean-up still shows the previous kill's.
    kill.in_flight = [name for name in litter(run) if name not in litter_at_launch]
    problems, torn = check_files(run, known_torn)
    if torn:
        known_torn.add(torn)
        kill.in_flight.append("events.jsonl (torn last line)")
    before, after = kill.checkpoint_before_kill, kill.checkpoint_after_kill
    if before is not None and (after is None or after < before):
        problems.append(f"checkpoint went back from {before} to {after}")
    kill.corrupt += problems
    return kill


PLAIN_KERAS = r"""
import json, os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras, numpy as np
model = keras.models.load_model(sys.argv[1])
with np.load(sys.argv[2]) as test:
    images, labels = test["images"], test["labels"]
probabilities = model.predict(images, verbose=0)
print(json.dumps({"accuracy": float(np.mean(probabilities.argmax(1) == labels)),
                  "predicted": probabilities.argmax(1).tolist()}))
"""


def final_checks(run: Path, workdir: Path, known_torn: set[bytes], epochs_wanted: int) -> dict:
    problems, torn = check_files(run, known_torn)
    events = read_events(run / "events.jsonl")
    finished = events[-1] if events and events[-1].type == "finished" else None
    ended = {e.epoch for e in events if e.type == "epoch_ended"}
    images, labels = synthetic_images(100, 5)
    np.savez(workdir / "test_images.npz", images=images, labels=labels)
    plain = subprocess.run(
        [sys.executable, "-c", PLAIN_KERAS, str(run / "model.keras"),
         str(workdir / "test_images.npz")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    keras_result = json.loads(plain.stdout) if plain.returncode == 0 else None
    if keras_result is None:
        problems.append(f"model.keras: plain Keras cannot load it: {plain.stderr[-300:]}")
    with np.load(run / "predictions.npz") as predictions:
        saved = predictions["probabilities"].argmax(1)
        saved_epoch = int(predictions["epoch"])
    agree = None if keras_result is None else int(np.sum(saved == keras_result["predicted"]))
    return {
        "finished": finished is not None,
        "epochs_done": max(ended, default=0),
        "every_epoch_trained": ended >= set(range(1, epochs_wanted + 1)),
        "checkpoint": position(run),
        "run_test_accuracy": finished.test_accuracy if finished else None,
        "plain_keras_accuracy": keras_result["accuracy"] if keras_result else None,
        "predictions_epoch": saved_epoch,
        "predictions_agreeing_with_plain_keras": agree,
        "problems": problems,
        "torn_last_line": torn is not None,
        "litter": litter(run),
        "lock_left": (run / "trainer.lock").exists(),
    }


def fmt_point(point: tuple[int, int] | None) -> str:
    return "-" if point is None else f"{point[0]}" + (f"+{point[1]}" if point[1] else "")


def report(kills: list[Kill], final: dict, args: argparse.Namespace, seconds: float) -> str:
    lines = ["| # | moment | alive (s) | checkpoint before -> after kill | progress at kill "
             "| epochs lost | resumed from | in-flight writes left | corrupt files |",
             "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for k in kills:
        moved = f"{fmt_point(k.checkpoint_before_kill)} -> {fmt_point(k.checkpoint_after_kill)}"
        resumed = fmt_point(k.resumed_from) if k.resumed_from else "(not started)"
        corrupt = f"{len(k.corrupt)}{(' ' + k.note) if k.note else ''}"
        lines.append(
            f"| {k.number} | {k.mode} | {k.seconds_alive:.1f} | {moved} | {k.progress_at_kill:.2f}"
            f" | {k.epochs_lost:.2f} | {resumed} | {', '.join(k.in_flight) or '-'} | {corrupt} |"
        )
    lost = [k.epochs_lost for k in kills]
    corrupt = sum(len(k.corrupt) for k in kills) + len(final["problems"])
    resumes = sum(1 for k in kills if "--resume" in k.command) + 1  # + the final one
    modes = ", ".join(f"{m} {sum(k.mode == m for k in kills)}" for m in MODES)
    summary = [
        "",
        "| kills | resumes | stale locks taken over | kills that left a write in flight "
        "| epochs lost per kill: max / mean | corrupt files | configured epochs reached "
        "| test accuracy: run / plain Keras |",
        "|---|---|---|---|---|---|---|---|",
        f"| {len(kills)} ({modes}) | {resumes} | {sum(k.lock_taken_over for k in kills)} "
        f"| {sum(bool(k.in_flight) for k in kills)} "
        f"| {max(lost):.2f} / {statistics.mean(lost):.2f} "
        f"| {corrupt} | {'yes' if final['finished'] and final['every_epoch_trained'] else 'NO'} "
        f"({final['epochs_done']}/{args.epochs}) | {final['run_test_accuracy']} / "
        f"{final['plain_keras_accuracy']} |",
        "",
        f"Final run folder: checkpoint {fmt_point(final['checkpoint'])}, predictions of epoch "
        f"{final['predictions_epoch']}, {final['predictions_agreeing_with_plain_keras']}/100 "
        f"predictions equal to plain Keras's, litter left {final['litter'] or 'none'}, "
        f"lock left: {final['lock_left']}; {seconds / 60:.1f} min in all.",
    ]  # fmt: skip
    problems = [f"- kill {k.number}: {p}" for k in kills for p in k.corrupt]
    problems += [f"- final: {p}" for p in final["problems"]]
    return "\n".join(lines + summary + (["", "Problems:", *problems] if problems else []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=40, help="the run's configured epochs")
    parser.add_argument("--seed", type=int, default=0, help="draws the kill moments")
    parser.add_argument("--workdir", type=Path, help="keep everything here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as temporary:
        workdir = args.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        archive = write_archive(workdir)
        models, run = workdir / "models", workdir / "models" / "fi"
        base = cifar_tui_argv("train")
        common = ["--models-dir", str(models), "--data-dir", str(archive)]
        first = [*base, "--preset", "quick", "--train-size", "0", "--batch-size", "10",
                 "--batch-norm-momentum", "0.5", "--mixed-precision", "off", "--epochs",
                 str(args.epochs), "--name", "fi", *common]  # fmt: skip
        resume = [*base, "--resume", "fi", *common]
        os.environ.update(CIFAR_TUI_OFFLINE="1", PYTHONUNBUFFERED="1")
        modes = [MODES[i % len(MODES)] for i in range(args.kills)]
        rng.shuffle(modes)
        known_torn: set[bytes] = set()
        kills = []
        for number, mode in enumerate(modes, 1):
            command = first if number == 1 else resume
            kill = segment(number, mode, command, run, workdir / "trainers.log", rng, known_torn)
            kills.append(kill)
            print(f"kill {number:2d} {mode:10s} after {kill.seconds_alive:5.1f}s: checkpoint "
                  f"{fmt_point(kill.checkpoint_after_kill):>5s}, lost {kill.epochs_lost:.2f} "
                  f"epochs, in flight {kill.in_flight or '-'}, corrupt {kill.corrupt or 0}",
                  flush=True)  # fmt: skip
            if kill.note:
                break
        with open(workdir / "trainers.log", "ab") as out:
            final_run = subprocess.run(resume, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, timeout=3600)  # fmt: skip
        final = final_checks(run, workdir, known_torn, args.epochs)
        final["exit_code"] = final_run.returncode
        text = report(kills, final, args, time.monotonic() - began)
        print(text)
        if args.json:
            args.json.write_text(json.dumps(
                {"kills": [asdict(k) for k in kills], "final": final}, indent=2, default=str
            ))  # fmt: skip
        ok = final_run.returncode == 0 and final["finished"] and "Problems:" not in text
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
