"""What a reader skipped in a run folder: missing, unreadable or garbage files, one note each."""

from __future__ import annotations

from pathlib import Path

from cifar_tui.core.config_files import load_config
from cifar_tui.core.config_values import ConfigError
from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir.events import parse_event_line
from cifar_tui.core.rundir.folder import RunFolder

__all__ = ["WRITTEN_LINE", "run_notes"]

WRITTEN_LINE = (b'{"type":"', b"}")
"""How every line EventWriter writes starts and ends (compact JSON, "type" first)."""


def _name_files(message: str, path: Path) -> str:
    # Core errors name the full path; in a run's notes its file name says it (the run is shown).
    return message.replace(f"config file {path}", path.name).replace(str(path), path.name)


def _events_note(run: RunFolder, data: bytes, running: bool) -> str | None:
    *complete, partial = data.split(b"\n")
    # Only lines not shaped like the writer's are parsed: a long run is checked many times faster
    # than by a second full parse (the monitor's tail parses the lines it needs anyway).
    unreadable = sum(
        1
        for line in complete
        if line.strip()
        and not (line.startswith(WRITTEN_LINE[0]) and line.endswith(WRITTEN_LINE[1]))
        and parse_event_line(line.decode("utf-8", errors="replace")) is None
    )
    torn = bool(partial.strip()) and not running  # a live trainer may be writing that line
    if not unreadable and not torn:
        return None
    parts = [f"{unreadable} unreadable line{'s' if unreadable != 1 else ''}"] if unreadable else []
    if torn:
        parts.append("a torn last line (a killed trainer's)")
    return f"{run.events_path.name}: skipped {' and '.join(parts)}"


def run_notes(run: RunFolder, running: bool) -> list[str]:
    """One short note per file of `run` that the app read around: missing, unreadable, garbage.

    The views read a run forgivingly (garbage lines skipped, a bad config ignored); these notes
    say what was skipped. Reads files: call it from a worker thread.

    Args:
        run: the run folder.
        running: a live trainer holds its lock (then a partial last line is being written, and
            predictions.npz follows an epoch's end by a few seconds).

    Returns:
        Notes like "config.toml is not valid TOML: ... (at line 1, column 9)", most vital first.
    """
    from cifar_tui.core.rundir.artifacts import load_predictions  # numpy: not at app start

    notes = []
    data = b""
    try:
        data = run.events_path.read_bytes()
    except FileNotFoundError:
        pass  # a run not started yet
    except OSError as error:
        notes.append(f"cannot read {run.events_path.name}: {error.strerror or error}")
    if not run.config_path.exists():
        if run.events_path.is_file():
            notes.append(f"no {run.config_path.name}: the run cannot be resumed")
    else:
        try:
            load_config(run.config_path)
        except ConfigError as error:  # unreadable, or a field out of range (an old run's, say)
            notes.append(_name_files(str(error), run.config_path))
    events = _events_note(run, data, running)
    if events:
        notes.append(events)
    if run.predictions_path.exists():
        try:
            load_predictions(run.predictions_path)
        except UserError as error:
            notes.append(_name_files(str(error), run.predictions_path))
    elif not running and b'{"type":"epoch_ended"' in data:  # each epoch's end saves them
        notes.append(f"no {run.predictions_path.name}: nothing to browse")
    return notes
