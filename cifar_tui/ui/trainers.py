"""The trainers the app started: spawning, resuming and stopping them through core/host/launcher,
and what became of each launch as one plain value (`launches`) that the app hands its screens.

No Textual here: the app turns screens' requests into these calls and notifies the user.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from cifar_tui.core.config import TrainConfig
from cifar_tui.core.host import launcher
from cifar_tui.core.queue import store
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.status import RESUMABLE_STATUSES
from cifar_tui.core.rundir.summary import RunSummary

LAUNCH_WATCH_SECONDS = 300.0
"""How long a fresh trainer may take to write its first event (it loads CIFAR-10 first)."""


@dataclass(frozen=True)
class Launch:
    """A trainer this app started, as the screens see it."""

    pid: int
    number: int
    """Launches the app made before this one: a second launch of a run is a new value."""
    resumed: bool = False
    error: str | None = None
    """Why the trainer died before writing its first event, once the app saw it die."""


Launches = dict[str, Launch]
"""Every launch of this app by run name (the latest of each run)."""


def resume_refusal(run: RunSummary) -> str | None:
    """Why `run` cannot be resumed (a sentence for the user), or None when it can."""
    if run.status in RESUMABLE_STATUSES:
        return None
    if run.status == "running":
        return "it is still training"
    if run.status == "finished":
        command = f"cifar-tui train --resume {run.name} --epochs N"
        return f"it finished; train it further with `{command}`"
    if run.status == "created":
        return "it has no checkpoint yet"
    return f"it is {run.status}"


class Trainers:
    """The trainers one app started, by run name; the spawns raise OSError when they fail."""

    def __init__(self, models_dir: Path, data_dir: str | None) -> None:
        self.models_dir = models_dir
        self.data_dir = data_dir
        self.launched: dict[str, launcher.LaunchedRun] = {}
        self._launches: Launches = {}
        self._count = 0

    @property
    def launches(self) -> Launches:
        """A copy of every launch: a new value after each change, for a reactive to hold."""
        return dict(self._launches)

    def start(
        self, config: TrainConfig, name: str | None, data_dir: str | None
    ) -> launcher.LaunchedRun:
        """Spawn a trainer for `config` (in run `name`, or a fresh dated one)."""
        spawned = launcher.spawn_training(config, self.models_dir, data_dir, name)
        return self._record(spawned, resumed=False)

    def resume(self, name: str) -> launcher.LaunchedRun:
        """Spawn `cifar-tui train --resume name`."""
        spawned = launcher.spawn_resume(name, self.models_dir, self.data_dir)
        return self._record(spawned, resumed=True)

    def _record(self, spawned: launcher.LaunchedRun, resumed: bool) -> launcher.LaunchedRun:
        self.launched[spawned.name] = spawned
        self._launches[spawned.name] = Launch(spawned.pid, self._count, resumed)
        self._count += 1
        return spawned

    def wait_for_start(self, name: str) -> str | None:
        """Block until the trainer of `name` writes its first event: None, or why it died."""
        return launcher.check_launch(self.launched[name], timeout=LAUNCH_WATCH_SECONDS, poll=0.2)

    def failed(self, name: str, problem: str) -> None:
        """Record that the trainer of `name` died before writing its first event."""
        self._launches[name] = replace(self._launches[name], error=problem)

    def stop(self, run: RunFolder) -> bool:
        """Ask the run's trainer to checkpoint and stop; False if none trains it on this host."""
        return launcher.stop_run(run)

    def running_here(self) -> list[str]:
        """The runs training on this machine that quitting the app would leave behind."""
        return launcher.running_here(self.models_dir, self.launched)

    def left_behind(self) -> tuple[list[str], list[str]]:
        """What quitting leaves: the runs training here, and the queued runs still to start
        (the queue runner starts them whether or not the app is open)."""
        waiting = [run.name for run in store.queued(self.models_dir) if not run.failed]
        return self.running_here(), waiting

    def stop_all(self, names: list[str]) -> None:
        """Ask each of `names` to stop (the quit dialog's "stop")."""
        launcher.stop_runs(names, self.models_dir, self.launched)
