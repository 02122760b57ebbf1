"""Finding runs: every run folder in a models folder, newest first, and a run a user named."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.summary import RunSummary, SummaryTail, summarize_run

__all__ = ["RunScanner", "file_stamp", "list_runs", "newest_first", "resolve_run", "run_folders"]


def run_folders(models_dir: Path) -> list[RunFolder]:
    """The run folders in `models_dir` by name; hidden entries and other files are left out.

    Args:
        models_dir: the folder holding run folders.

    Returns:
        The runs; [] if `models_dir` does not exist or is not a folder.
    """
    try:
        entries = sorted(os.scandir(models_dir), key=lambda entry: entry.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    runs = [RunFolder(Path(entry.path)) for entry in entries if not entry.name.startswith(".")]
    return [run for run in runs if run.exists]


def newest_first(summaries: list[RunSummary]) -> list[RunSummary]:
    """`summaries` by last update, newest first, then by name (reversed: names start with dates)."""
    ordered = sorted(summaries, key=lambda summary: summary.name, reverse=True)
    return sorted(ordered, key=lambda summary: summary.updated or 0.0, reverse=True)


def list_runs(models_dir: Path) -> list[RunSummary]:
    """Every run folder in `models_dir`, newest first.

    Args:
        models_dir: the folder holding run folders; entries that are not runs are ignored.

    Returns:
        One summary per run, ordered by `newest_first`.
    """
    return newest_first([summarize_run(run) for run in run_folders(models_dir)])


def file_stamp(path: Path) -> tuple[int, int] | None:
    """(mtime_ns, size) of a file, None if it is missing: a change means it was written."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class RunScanner:
    """`list_runs` again and again, re-reading only runs whose files changed.

    A long run's events.jsonl holds tens of thousands of lines. A summary is reused until the
    run's files change, and a running run (summarized again at every scan, since its trainer may
    die without touching a file) is read on from where the previous scan stopped, by the run's
    own `SummaryTail`.
    """

    def __init__(self, models_dir: Path) -> None:
        self.models_dir = Path(models_dir)
        self._cache: dict[str, tuple[object, RunSummary]] = {}
        self._readers: dict[str, SummaryTail] = {}

    def scan(self) -> list[RunSummary]:
        """Newest first, as `list_runs` orders them ([] if the folder cannot be read)."""
        try:
            runs = run_folders(self.models_dir)
        except OSError:
            return []
        names = {run.name for run in runs}
        for gone in self._readers.keys() - names:  # a deleted run's: they would stay for nothing
            del self._readers[gone]
            self._cache.pop(gone, None)
        summaries = []
        for run in runs:
            key = tuple(map(file_stamp, (run.events_path, run.lock_path, run.config_path)))
            cached = self._cache.get(run.name)
            if cached and cached[0] == key and cached[1].status != "running":
                summaries.append(cached[1])
                continue
            reader = self._readers.setdefault(run.name, SummaryTail(run.events_path))
            summary = summarize_run(run, reader)
            self._cache[run.name] = (key, summary)
            summaries.append(summary)
        return newest_first(summaries)


def resolve_run(spec: str, models_dir: Path) -> RunFolder:
    """Find a run from what a user typed: a run name in `models_dir`, or a path to a run folder.

    Args:
        spec: a run name or a path (absolute or relative to the working folder).
        models_dir: where run names are looked up.

    Returns:
        The run folder (absolute path).

    Raises:
        UserError: nothing there is a run folder; the message lists the runs there are.
    """
    models_dir = Path(models_dir)
    candidates: list[Path] = []
    if spec.strip():
        given = Path(spec)
        with contextlib.suppress(RuntimeError):  # "~nosuchuser/..." cannot be expanded
            given = given.expanduser()
        if given.name == spec and spec not in (".", ".."):  # a bare name: models_dir wins
            candidates.append(models_dir / spec)
        candidates.append(given)
    for candidate in candidates:
        run = RunFolder(candidate.absolute())
        if run.exists:
            return run
    # Names start with the date, so reverse order lists the newest runs first.
    names = [run.name for run in reversed(run_folders(models_dir))]
    known = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "") if names else "none yet"
    raise UserError(
        f"no run named {spec!r} in {models_dir}/ (runs: {known}); "
        "give a run name or a path to a run folder"
    )
