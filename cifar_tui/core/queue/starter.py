"""The runner's work: settle each queued run's state from the files, and start what fits.

The states of a queued run and how each is read back after a kill -9 (of the runner or a trainer):
- waiting: a queue file, no claim held, no run folder: start it.
- starting: its claim is held (by this runner's trainer, or by one a killed runner started).
- started: the trainer has created the run folder and, holding the run's lock, written
  config.toml (or events): its queue file is deleted, then its claim file.
- failed: the trainer exited before that: the queue file is kept, marked with why.
A trainer killed before config.toml leaves at most a folder with a stale lock; that folder is
removed and the run started again, since no run began in it.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cifar_tui.core.errors import UserError
from cifar_tui.core.host import launcher
from cifar_tui.core.queue import claims, store
from cifar_tui.core.queue.settings import read_per_gpu
from cifar_tui.core.queue.slots import Waiting, devices_used, plan_starts
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.listing import run_folders
from cifar_tui.core.rundir.lock import holder_alive, lock_holder_alive, read_lock

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, published as tomli
    import tomli as tomllib

__all__ = ["RETRIES", "QueueRunner", "now_text"]

RETRIES = 3
"""Starts of one run whose trainer is killed by a signal before its run begins, after the
first, before the run is marked failed."""


@dataclass
class _Started:
    """A trainer this runner started, watched until it holds its run or exits."""

    launched: launcher.LaunchedRun
    claim: claims.Claim
    devices: tuple[int | str, ...]


class QueueRunner:
    """One pass at a time over the queue: settle each run's state, start what fits."""

    def __init__(self, models_dir: Path, gpus: int) -> None:
        self.models_dir = models_dir
        self.gpus = gpus
        self.mine: dict[str, _Started] = {}
        self.kills: Counter[str] = Counter()

    def step(self) -> bool:
        """Settle every queued run, start what fits; False when nothing is left to do."""
        pending, starting = [], []
        for run in store.queued(self.models_dir):
            if run.failed is None:
                state = self._settle(run)
                if state == "waiting":
                    pending.append(run)
                elif state == "starting":
                    starting.append(run.name)
        self._tidy_claims()
        if not pending and not self.mine and not starting:
            return False
        self._start(pending)
        return True

    def _settle(self, run: store.QueuedRun) -> str:
        """The state of a queued run: "waiting", "starting" or "done" (dropped from the queue)."""
        folder = RunFolder(self.models_dir / run.name)
        mine = self.mine.get(run.name)
        # Whether its trainer is alive is read BEFORE whether its run began: a trainer that
        # writes config.toml and dies between the two reads must not look dead and not begun.
        if mine is not None:
            code = mine.launched.process.poll() if mine.launched.process else 0
            if _begun(folder) and (code is not None or lock_holder_alive(folder.lock_path)):
                self._done(run.name, mine)
            elif code is not None:
                self._fail(run, mine, code)
            return "starting" if run.name in self.mine else "done"
        held = claims.claim_held(self.models_dir, run.name)
        if _begun(folder) and claims.claim_path(self.models_dir, run.name).exists():
            self._done(run.name, None)  # started by a runner that was killed meanwhile
            return "done"
        if held or _trainer_in(folder):
            return "starting"  # a trainer started by a killed runner, still loading: let it be
        if folder.path.exists() and not _leftover_of_a_dead_start(folder):
            why = f"a run named {run.name} already exists; remove this entry or that run"
            store.mark_failed(self.models_dir, run, why)
            return "done"
        return "waiting"

    def _done(self, name: str, mine: _Started | None) -> None:
        store.remove_started(self.models_dir, name)
        if mine is not None:
            mine.claim.release(remove=True)
            del self.mine[name]
        else:
            claims.drop_claim(self.models_dir, name)
        print(f"{now_text()} started {name}", flush=True)

    def _fail(self, run: store.QueuedRun, mine: _Started, code: int) -> None:
        mine.claim.release(remove=True)
        del self.mine[run.name]
        self.kills[run.name] += code < 0
        if code < 0 and self.kills[run.name] <= RETRIES:
            # Killed (kill -9, the OOM killer) before its run began: nothing ran, start it again.
            print(f"{now_text()} {run.name}: trainer killed by signal {-code}; queued again")
            return
        why = launcher.check_launch(mine.launched, timeout=0) or f"trainer exited with {code}"
        store.mark_failed(self.models_dir, run, why)
        print(f"{now_text()} failed {run.name}: {why}", flush=True)

    def _tidy_claims(self) -> None:
        queued_names = {run.name for run in store.queued(self.models_dir)}
        for name in claims.claim_names(self.models_dir):
            if name not in queued_names and name not in self.mine:
                claims.drop_claim(self.models_dir, name)

    def _busy(self) -> list[tuple[int | str, ...]]:
        """Devices of every trainer of this folder on this host: locked runs, then starts."""
        here, busy = socket.gethostname(), {}
        for folder in run_folders(self.models_dir):
            holder = read_lock(folder.lock_path)
            if holder and holder["host"] == here and _trainer_in(folder):
                config = _read_config(folder.config_path)
                strategy = str(config.get("strategy", "one-device"))
                busy[folder.name] = devices_used(config.get("devices"), strategy, self.gpus)
        for name, started in self.mine.items():
            busy[name] = started.devices
        for name in claims.claim_names(self.models_dir):
            if name not in busy and claims.claim_held(self.models_dir, name):
                recorded = claims.claim_info(self.models_dir, name).get("devices", "auto")
                busy[name] = devices_used(recorded, "one-device", self.gpus)
        return list(busy.values())

    def _start(self, pending: list[store.QueuedRun]) -> None:
        waiting = [Waiting(run.name, run.config.devices, run.config.strategy) for run in pending]
        plan = plan_starts(waiting, self._busy(), self.gpus, read_per_gpu(self.models_dir))
        by_name = {run.name: run for run in pending}
        for name, why in plan.impossible:
            store.mark_failed(self.models_dir, by_name[name], why)
        for name, chosen in plan.start:
            self._launch(by_name[name], chosen)

    def _launch(self, run: store.QueuedRun, chosen: str | None) -> None:
        config = run.config if chosen is None else run.config.replace(devices=chosen)
        used = devices_used(config.devices, config.strategy, self.gpus)
        with store.queue_mutex(self.models_dir):
            if not run.path.exists():  # removed from the queue meanwhile
                return
            claim = claims.Claim.take(self.models_dir, run.name, list(used))
        if claim is None:
            return
        try:
            _remove_dead_start(RunFolder(self.models_dir / run.name))
            launched = launcher.spawn_training(
                config, self.models_dir, run.data_dir, run.name, keep_fds=(claim.fd,)
            )
        except (UserError, OSError) as error:  # e.g. a full disk: say so, go on with the rest
            claim.release(remove=True)
            store.mark_failed(self.models_dir, run, f"could not start its trainer: {error}")
            return
        self.mine[run.name] = _Started(launched, claim, used)
        devices = config.devices
        print(f"{now_text()} starting {run.name} (pid {launched.pid}, devices {devices})")


def _begun(folder: RunFolder) -> bool:
    """Whether a trainer began the run: it writes config.toml holding the run's lock."""
    return folder.config_path.exists() or folder.events_path.exists()


def _read_config(path: Path) -> dict[str, object]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a run started by hand may have none yet, or a torn one
        return {}


_DEAD_START_FILES = ("trainer.lock", "trainer.log")


def _leftover_of_a_dead_start(folder: RunFolder) -> bool:
    """A folder a trainer created but died in before config.toml was in place (no run yet).

    It holds at most the dead trainer's lock and log, and the temp files of writes it was
    killed in (`.config.toml.<random>.tmp`, `.trainer.lock.<pid>.<tid>.tmp`).
    """
    try:
        entries = list(os.scandir(folder.path))
    except OSError:
        return False
    if _trainer_in(folder):
        return False
    return all(
        (entry.name in _DEAD_START_FILES or entry.name.startswith("."))
        and entry.is_file(follow_symlinks=False)
        for entry in entries
    )


def _trainer_in(folder: RunFolder) -> bool:
    """Whether a live trainer holds the folder's lock; a zombie does not count (its parent, a
    runner killed meanwhile, can no longer reap it, and init may take its time)."""
    holder = read_lock(folder.lock_path)
    if not holder_alive(holder) or holder is None:
        return False
    try:
        stat = Path(f"/proc/{holder['pid']}/stat").read_text()
    except OSError:  # another host, or no /proc: as holder_alive says
        return True
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


def _remove_dead_start(folder: RunFolder) -> None:
    """Delete such a leftover so `cifar-tui train --name` can create the folder again."""
    if not folder.path.exists() or not _leftover_of_a_dead_start(folder):
        return
    for name in os.listdir(folder.path):
        (folder.path / name).unlink(missing_ok=True)
    folder.path.rmdir()


def now_text() -> str:
    """The time for log lines."""
    return time.strftime("%Y-%m-%d %H:%M:%S")
