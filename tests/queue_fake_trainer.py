"""A stand-in for `cifar-tui train --config FILE --name RUN --models-dir DIR` that the queue's
runner starts in tests (CIFAR_TUI_QUEUE_TRAINER): it does what the real trainer does to a run
folder, in the same order, without TensorFlow, in about a second.

Appends "launch <run> <pid>" to FAKE_TRAINER_LOG, loads "data" (sleeps FAKE_TRAINER_LOAD s),
creates the run folder, takes its lock, writes config.toml (from here on the run exists),
appends "start <run> <pid> <devices>" to FAKE_TRAINER_LOG, then writes a run_started event,
FAKE_TRAINER_EPOCHS epoch events FAKE_TRAINER_EPOCH_SECONDS apart, and a finished event.
With FAKE_TRAINER_FAIL set it fails at once, as a trainer that finds no data does.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from cifar_tui.core.config_files import load_config, save_config
from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.lock import RunLock
from cifar_tui.core.rundir.naming import create_run_folder


def _log(line: str) -> None:
    path = os.environ.get("FAKE_TRAINER_LOG")
    if path:
        with open(path, "a") as file:  # O_APPEND: each line lands whole
            file.write(line + "\n")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("verb")
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    _log(f"launch {args.name} {os.getpid()}")
    if os.environ.get("FAKE_TRAINER_FAIL"):
        print("cifar-tui: error: no CIFAR-10 here (fake)", file=sys.stderr)
        return 2
    time.sleep(float(os.environ.get("FAKE_TRAINER_LOAD", "0.2")))
    try:
        run = create_run_folder(args.models_dir, args.name)
    except UserError as error:
        print(f"cifar-tui: error: {error}", file=sys.stderr)
        return 2
    with RunLock(run.lock_path):
        save_config(config, run.config_path)
        _log(f"start {args.name} {os.getpid()} {getattr(config, 'devices', 'auto')}")
        events = EventWriter(run.events_path, fsync=False)
        epochs = int(os.environ.get("FAKE_TRAINER_EPOCHS", "2"))
        events.append("run_started", epochs=epochs, initial_epoch=0, preset=config.preset)
        for epoch in range(1, epochs + 1):
            time.sleep(float(os.environ.get("FAKE_TRAINER_EPOCH_SECONDS", "0.1")))
            events.append("epoch_ended", epoch=epoch, epochs=epochs, val_accuracy=0.1 * epoch)
        events.append("finished", epochs=epochs)
        events.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
