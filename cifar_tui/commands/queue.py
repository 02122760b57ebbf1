"""`cifar-tui queue`: list the queue, add runs to it (starting its runner), remove, reorder."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cifar_tui.core.errors import UserError
from cifar_tui.core.presets import PRESETS, preset

if TYPE_CHECKING:
    from cifar_tui.core.config import TrainConfig


SWEEP_HELP = (
    "Queue a run. A flag given several values queues one run per combination, a sweep, named "
    "by what differs: --learning-rate 0.05,0.1 --seed 0,1 --name try queues try-lr0.05-seed0 "
    "... try-lr0.1-seed1. A field holding a list takes '/' between its values: --dropout "
    "0.2,0.3,0.4/0,0,0. A bad value anywhere queues nothing."
)


def add_queue_parser(
    verbs: argparse._SubParsersAction,  # type: ignore[type-arg]
    add_common: Callable[[argparse.ArgumentParser], None],
) -> None:
    """The `queue` verb and its own verbs (add, rm, move), for cli.build_parser."""
    from cifar_tui.commands.flags import add_config_arguments

    queue = verbs.add_parser(
        "queue", help="queued runs: list, add, rm, move, retry (started as GPUs free)"
    )
    add_common(queue)
    actions = queue.add_subparsers(dest="queue_verb", metavar="ACTION", parser_class=type(queue))
    add = actions.add_parser(
        "add",
        help="queue a run (the train flags); starts the queue's runner",
        description=SWEEP_HELP,
    )
    add_common(add)
    add.add_argument("--config", type=Path, help="TOML config file (see a run's config.toml)")
    add.add_argument("--preset", choices=sorted(PRESETS), help="start from this preset")
    add.add_argument("--name", help="run folder name (default: date, time and preset)")
    add.add_argument(
        "--per-gpu",
        type=int,
        metavar="N",
        help="runs sharing one GPU from now on (a setting of the queue; default 1)",
    )
    add_config_arguments(add, sweeps=True)
    remove = actions.add_parser("rm", help="take a run out of the queue")
    add_common(remove)
    remove.add_argument("run", metavar="RUN", help="a queued run's name")
    move = actions.add_parser("move", help="move a queued run to POSITION (1 or top = next)")
    add_common(move)
    move.add_argument("run", metavar="RUN", help="a queued run's name")
    move.add_argument("position", metavar="POSITION", help="1, 2, ... or top or last")
    retry = actions.add_parser("retry", help="try again a queued run that could not start")
    add_common(retry)
    retry.add_argument("run", metavar="RUN", help="a queued run's name")


def queue(args: argparse.Namespace) -> int:
    """`cifar-tui queue [add|rm|move|retry]`; returns the exit code."""
    verb = getattr(args, "queue_verb", None)
    if verb == "add":
        return add(args)
    from cifar_tui.core.queue import store

    if verb == "rm":
        store.remove(args.models_dir, args.run)
        print(f"removed {args.run} from the queue")
    elif verb == "retry":
        return _retry(args)
    elif verb == "move":
        position = _position(args.position)
        store.move(args.models_dir, args.run, position)
        where = next(run.position for run in store.queued(args.models_dir) if run.name == args.run)
        print(f"{args.run} is now number {where} in the queue")
    else:
        print(format_queue(args.models_dir))
    return 0


def entries_from_args(args: argparse.Namespace) -> list[tuple[str, TrainConfig]]:
    """The runs `queue add` queues: (name, config) pairs from the train flags; flags with
    several values queue their product, a sweep (core/sweeps.py: `--seed 0,1,2`)."""
    from cifar_tui.commands.flags import config_overrides
    from cifar_tui.core.config_files import load_config
    from cifar_tui.core.queue.store import queued
    from cifar_tui.core.sweeps import expand_sweep

    if args.config and args.preset:
        raise UserError("give --config or --preset, not both (a config file names its preset)")
    base = load_config(args.config) if args.config else preset(args.preset or "recipe-2018")
    taken = {run.name for run in queued(args.models_dir)}
    return expand_sweep(args.models_dir, base, config_overrides(args), args.name, taken)


def add(args: argparse.Namespace) -> int:
    """`cifar-tui queue add`: queue the runs, then make sure the runner runs."""
    from cifar_tui.core.paths import require_file
    from cifar_tui.core.queue import store
    from cifar_tui.core.queue.runner import ensure_runner
    from cifar_tui.core.queue.settings import write_per_gpu

    if args.config is not None:
        require_file(args.config, "--config", missing_ok=True, fix="give a TOML file")
    data_dir = getattr(args, "data_dir", None)
    entries = entries_from_args(args)  # a bad value refuses the whole command, setting included
    if args.per_gpu is not None:
        write_per_gpu(args.models_dir, args.per_gpu)
    names = store.enqueue(args.models_dir, entries, data_dir)
    positions = {run.name: run.position for run in store.queued(args.models_dir)}
    for name in names:
        print(f"queued {name} (number {positions.get(name, '?')})")
    started = ensure_runner(args.models_dir)
    print("started the queue's runner" if started else "the queue's runner is running")
    return 0


def _retry(args: argparse.Namespace) -> int:
    """`cifar-tui queue retry RUN`: clear the run's failed mark and make sure the runner runs."""
    from cifar_tui.core.queue import store
    from cifar_tui.core.queue.runner import ensure_runner

    run = next((run for run in store.queued(args.models_dir) if run.name == args.run), None)
    if run is None or run.failed is None:
        state = "not queued" if run is None else "waiting to start, not failed"
        raise UserError(f"run {args.run!r} is {state}; see cifar-tui queue")
    store.mark_failed(args.models_dir, run, None)
    ensure_runner(args.models_dir)
    print(f"{args.run} will be started again (number {run.position} in the queue)")
    return 0


def _position(text: str) -> int:
    if text.lower() == "top":
        return 1
    if text.lower() in ("last", "bottom"):
        return 1_000_000
    try:
        return int(text)
    except ValueError:
        raise UserError(f"position {text!r}: give 1, 2, ... or top or last") from None


def format_queue(models_dir: Path) -> str:
    """The `cifar-tui queue` table: position, name, devices, preset, time added, then the runner."""
    from cifar_tui.core.queue import store
    from cifar_tui.core.queue.claims import claim_held
    from cifar_tui.core.queue.paths import runner_lock_path, runner_log_path
    from cifar_tui.core.queue.settings import read_per_gpu
    from cifar_tui.core.rundir.lock import holder_alive, read_lock
    from cifar_tui.core.rundir.runs_table import format_when

    runs = store.queued(models_dir)
    holder = read_lock(runner_lock_path(models_dir))
    runner = (
        f"runner: pid {holder['pid']} (log: {runner_log_path(models_dir)})"
        if holder_alive(holder)
        else "runner: not running (the next `cifar-tui queue add` starts it)"
    )
    if not runs:
        return f"the queue of {models_dir} is empty\n{runner}"
    rows = [("#", "run", "devices", "preset", "added", "")]
    for run in runs:
        starting = claim_held(models_dir, run.name)
        note = f"failed: {run.failed}" if run.failed else "starting" if starting else ""
        rows.append(
            (str(run.position), run.name, run.devices, run.preset, format_when(run.added), note)
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    per_gpu = read_per_gpu(models_dir)
    return "\n".join([*lines, f"{runner}; {per_gpu} run(s) per GPU"])
