"""The verbs about run folders: runs (list them) and stop (ask a trainer to stop)."""

from __future__ import annotations

import argparse
import json


def runs(args: argparse.Namespace) -> int:
    """`cifar-tui runs`: the runs of the models folder, as a table or JSON."""
    from cifar_tui.core.rundir.listing import list_runs
    from cifar_tui.core.rundir.runs_table import format_runs_table, runs_as_json

    runs = list_runs(args.models_dir)
    if args.json:
        print(json.dumps(runs_as_json(runs), indent=2))
    elif not runs:
        print(f"no runs in {args.models_dir} yet; start one with `cifar-tui train`")
    else:
        print(format_runs_table(runs))
    if not args.json:
        from cifar_tui.core.queue.store import queued

        waiting = len(queued(args.models_dir))
        if waiting:
            print(f"{waiting} more queued: `cifar-tui queue --models-dir {args.models_dir}`")
    return 0


def stop(args: argparse.Namespace) -> int:
    """`cifar-tui stop`: SIGINT to the run's live trainer on this host (launcher.request_stop)."""
    from cifar_tui.core.host.launcher import request_stop
    from cifar_tui.core.rundir.listing import resolve_run

    run = resolve_run(args.run, args.models_dir)
    pid = request_stop(run)
    print(f"asked pid {pid} to stop {run.name}; it checkpoints after the current batch")
    return 0
