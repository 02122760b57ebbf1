"""Bad input in the app: one line naming the file (and field), never a traceback, no crash.

The app side of "Never lose a run, never trust input" (the CLI side: tests/core/test_bad_input.py):
a config file loaded into the form, and run folders whose files are garbage, torn or missing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from run_fixtures import write_run
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Select, Static
from ui_support import wait_for

from cifar_tui.app import CifarApp
from cifar_tui.core.presets import preset
from cifar_tui.core.rundir.events import EventWriter
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.naming import create_run_folder
from cifar_tui.ui.browser.prediction_browser import PredictionBrowser
from cifar_tui.ui.config.config_form import ConfigForm
from cifar_tui.ui.config.config_screen import ConfigScreen
from cifar_tui.ui.monitor.run_monitor import RunMonitor
from cifar_tui.ui.monitor.run_status import RunStatus
from cifar_tui.ui.runs.runs_list import RunsList

NARROW = (80, 24)
"""The smallest terminal the app supports: a note that fits here fits everywhere."""
VALID_CONFIG = 'preset = "quick"\nepochs = 3\n'
"""A config.toml a resume accepts (the fixture's has a key no config has: it reads, but fails)."""

# --- the config form: ctrl+o on a bad file ---------------------------------------------------

BAD_CONFIG_FILES: dict[str, tuple[str | bytes | None, list[str]]] = {
    # case: (the file's content (None: a folder), what the line under the form must say)
    "out-of-range": ("learning_rate = -1\n", ["bad.toml", "learning_rate must be > 0"]),
    "wrong-type": ('epochs = "ten"\n', ["bad.toml", "epochs must be an int (got 'ten')"]),
    "unknown-preset": ('preset = "turbo"\n', ["bad.toml", "unknown preset 'turbo'"]),
    "unknown-key": ("epoch = 3\n", ["bad.toml", "unknown config key 'epoch'"]),
    "not-toml": ("epochs = = 3\n", ["bad.toml is not valid TOML", "line 1"]),
    "not-text": (b"\x89PNG\r\n\x1a\n\x00\xff\xfe", ["cannot read bad.toml", "utf-8"]),
    "a-folder": (None, ["cannot read bad.toml"]),
}


def _message(app: CifarApp) -> Static:
    return app.screen.query_one("#config-message", Static)


async def _type_into(pilot: Pilot[Any], field: str, text: str) -> None:
    pilot.app.screen.query_one(f"#{field}", Input).value = text
    await pilot.pause()


@pytest.mark.parametrize(("content", "says"), BAD_CONFIG_FILES.values(), ids=BAD_CONFIG_FILES)
async def test_loading_a_bad_config_file_says_why_and_keeps_the_form(
    app_factory: Callable[..., CifarApp], tmp_path: Path, content: str | bytes | None,
    says: list[str],
) -> None:  # fmt: skip
    path = tmp_path / "bad.toml"
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    app = app_factory(start_screen="config")
    async with app.run_test(size=NARROW) as pilot:
        await _type_into(pilot, "field-epochs", "7")  # what the user had typed before loading
        await _type_into(pilot, "config-path", str(path))
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, ConfigScreen)
        line = _message(app)
        shown = _shown(line).splitlines()[-1]  # under a border line: one line, cut with "…"
        assert shown.startswith("Not loaded: ")
        for part in says:
            assert part in shown, "the line must name the file and field at 80 columns"
        assert line.has_class("-error")
        form = app.screen.query_one(ConfigForm)
        assert form.config == preset("recipe-2018").replace(epochs=7)
        assert form.problems == []
        assert app.screen.query_one("#field-epochs", Input).value == "7"
        assert app.screen.query_one("#field-preset", Select).value == "recipe-2018"


@pytest.mark.parametrize("kind", ["fifo", "device"])
async def test_loading_what_never_ends_is_refused(
    app_factory: Callable[..., CifarApp], tmp_path: Path, kind: str
) -> None:
    """/dev/zero never ends and a FIFO nobody writes never answers: neither hangs the app."""
    path = Path("/dev/zero")
    if kind == "fifo":
        path = tmp_path / "bad.toml"
        os.mkfifo(path)
    app = app_factory(start_screen="config")
    async with app.run_test(size=NARROW) as pilot:
        await _type_into(pilot, "config-path", str(path))
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert _shown(_message(app)).splitlines()[-1] == (
            f"Not loaded: {path.name} is not a regular file"
        )


@pytest.mark.parametrize("key", ["ctrl+o", "ctrl+s"])
async def test_a_path_naming_no_home_folder(app_factory: Callable[..., CifarApp], key: str) -> None:
    """Path.expanduser raises RuntimeError for "~user" with no such user: a line, not a crash."""
    app = app_factory(start_screen="config")
    async with app.run_test(size=NARROW) as pilot:
        await _type_into(pilot, "config-path", "~no-such-user-here/run.toml")
        await pilot.press(key)
        await pilot.pause()
        text = str(_message(app).render())
        assert text == "config file ~no-such-user-here/run.toml: no such user's home folder"


async def test_saving_where_no_file_can_be_written(
    app_factory: Callable[..., CifarApp], tmp_path: Path
) -> None:
    app = app_factory(start_screen="config")
    async with app.run_test(size=NARROW) as pilot:
        await _type_into(pilot, "config-path", str(tmp_path))  # a folder
        await pilot.press("ctrl+s")
        await pilot.pause()
        shown = _shown(_message(app)).splitlines()[-1]
        assert shown.startswith(f"Not saved: cannot write {tmp_path.name}: [Errno 21] Is a dir")
        assert isinstance(app.screen, ConfigScreen)


# --- run folders with garbage, torn or missing files ------------------------------------------


def _append(path: Path, data: bytes) -> None:
    with open(path, "ab") as file:
        file.write(data)


def _garbage_between_events(run: RunFolder) -> None:
    lines = run.events_path.read_bytes().splitlines(keepends=True)
    garbage = [b"\x00\xffgarbage\n", b"[1, 2]\n", b'{"no": "type"}\n']
    run.events_path.write_bytes(b"".join(lines[:5] + garbage + lines[5:]))


def _fields_of_the_wrong_type(run: RunFolder) -> None:
    """Events that parse but hold nonsense (json.loads reads NaN and Infinity, too)."""
    run.events_path.write_text(
        '{"type": "run_started", "config": "recipe", "epochs": "ten", "initial_epoch": true,'
        ' "steps_per_epoch": NaN, "device": {"gpu": 1}, "strategy": ["a"], "replicas": "x"}\n'
        '{"type": "batch", "epoch": Infinity, "step": -Infinity, "steps": 0, "time": NaN,'
        ' "images_per_second": NaN}\n'
        '{"type": "epoch_ended", "epoch": 1, "epochs": NaN, "loss": NaN, "accuracy": "high",'
        ' "val_accuracy": Infinity, "seconds": NaN, "learning_rate": null}\n'
        '{"type": "epoch_ended", "epoch": "2", "val_accuracy": 0.5}\n'
        '{"type": "epoch_ended", "epoch": 3, "val_accuracy": 0.5, "test_accuracy": NaN}\n'
        '{"type": "failed", "message": {"what": 1}, "log_tail": 5}\n'
    )


def _half_a_predictions_file(run: RunFolder) -> None:
    data = run.predictions_path.read_bytes()
    run.predictions_path.write_bytes(data[: len(data) // 2])  # a copy cut off, say


def _replace_with_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


RUN_DAMAGE: dict[str, tuple[Callable[[RunFolder], object], list[str], str | None]] = {
    # case: (damage a finished 3-epoch run, what its note says, what the browser says if not
    # its usual predictions)
    "config-not-toml": (
        lambda r: r.config_path.write_text("epochs = = 3"),
        ["config.toml is not valid TOML: Invalid value (at line 1, column 10)"], None),
    "config-not-text": (
        lambda r: r.config_path.write_bytes(b"\xff\xfe\x00garbage"),
        ["cannot read config.toml: 'utf-8' codec can't decode"], None),
    "config-out-of-range": (  # it reads, but a resume would refuse it: say so now
        lambda r: r.config_path.write_text("epochs = 0"),
        ["config.toml: epochs must be >= 1 and <= 10000 (got 0)"], None),
    "config-missing": (
        lambda r: r.config_path.unlink(), ["no config.toml: the run cannot be resumed"], None),
    "events-garbage-lines": (
        _garbage_between_events, ["events.jsonl: skipped 3 unreadable lines"], None),
    "events-torn": (
        lambda r: _append(r.events_path, b'{"type":"epoch_ended","epoch":4,"val_acc'),
        ["events.jsonl: skipped a torn last line (a killed trainer's)"], None),
    "events-all-garbage": (
        lambda r: r.events_path.write_bytes(b'\x00garbage\n[1, 2]\n{"no": "type"}\n{torn'),
        ["events.jsonl: skipped 3 unreadable lines and a torn last line"], None),
    "events-fields-of-the-wrong-type": (_fields_of_the_wrong_type, [], None),
    "events-a-folder": (
        lambda r: _replace_with_folder(r.events_path),
        ["cannot read events.jsonl: Is a directory"], None),
    "events-missing": (lambda r: r.events_path.unlink(), [], None),
    "predictions-garbage": (
        lambda r: r.predictions_path.write_bytes(b"not an npz"),
        ["predictions.npz is not a readable predictions file"],
        "not a readable predictions file"),
    "predictions-cut-off": (
        _half_a_predictions_file,
        ["predictions.npz is not a readable predictions file"],
        "not a readable predictions file"),
    "predictions-missing": (
        lambda r: r.predictions_path.unlink(),
        ["no predictions.npz: nothing to browse"], "does not exist yet"),
    "lock-garbage": (lambda r: r.lock_path.write_text("{"), [], None),
}  # fmt: skip

DAMAGED = "2026-11-26_0900_damaged"


def _damaged_run(models_dir: Path, damage: Callable[[RunFolder], object]) -> RunFolder:
    run = write_run(models_dir, DAMAGED, "finished", 3, 3, seed=9)
    run.config_path.write_text(VALID_CONFIG)
    damage(run)
    return run


def _shown(widget: Widget) -> str:
    """The widget's text as drawn on screen (cut where the screen cuts it), line by line."""
    lines = widget.render_lines(Region(0, 0, *widget.outer_size))
    return "\n".join(strip.text.strip() for strip in lines)


def _detail(app: CifarApp) -> str:
    return _shown(app.screen.query_one("#run-detail"))


def _note_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("⚠")]


def _shows_note(text: str, note: str) -> bool:
    """One line of `text` is a note that starts with `note`, or is `note` cut with an ellipsis
    (not before its 60th character)."""
    lines = _note_lines(text)
    if len(lines) != 1:
        return False
    shown = lines[0].removesuffix("…")
    return shown.startswith(note) or (note.startswith(shown) and len(shown) >= 60)


@pytest.mark.parametrize(("damage", "notes", "browser_says"), RUN_DAMAGE.values(), ids=RUN_DAMAGE)
async def test_a_damaged_run_in_the_runs_list_the_monitor_and_the_browser(
    app_factory: Callable[..., CifarApp], models_dir: Path, tmp_path: Path,
    damage: Callable[[RunFolder], object], notes: list[str], browser_says: str | None,
) -> None:  # fmt: skip
    _damaged_run(models_dir, damage)
    expected = "⚠ " + "; ".join(notes)
    # No CIFAR-10 here: the browser says so and shows labels only (nothing is downloaded).
    app = app_factory(data_dir=str(tmp_path / "no-cifar"))
    async with app.run_test(size=NARROW) as pilot:
        runs = app.screen.query_one(RunsList)
        await wait_for(pilot, lambda: DAMAGED in [run.name for run in runs.runs])
        runs.select_run(DAMAGED)
        if notes:
            await wait_for(pilot, lambda: _shows_note(_detail(app), expected))
        else:
            await pilot.pause(0.3)  # the notes are read in a thread
            assert _note_lines(_detail(app)) == []

        await pilot.press("enter")
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.run is not None and monitor.loaded)
        status = monitor.query_one(RunStatus)
        assert len(status.notes) == len(notes)
        if notes:
            assert _shows_note(_shown(status), expected)
        else:
            assert _note_lines(_shown(status)) == []
        assert monitor.status in ("finished", "created", "failed")

        await pilot.press("3")
        browser = app.screen.query_one(PredictionBrowser)
        await wait_for(pilot, lambda: browser.data.loaded_once)
        notice = str(app.screen.query_one("#browser-notice", Static).render())
        if browser_says is None:
            assert browser.data.predictions is not None and len(browser.data.predictions) == 100
            assert notice.startswith("no test images")  # there is no CIFAR-10 here
        else:
            assert browser.data.predictions is None
            assert "predictions.npz" in notice and browser_says in notice


async def test_a_live_trainer_partial_line_is_no_torn_line(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    """While a trainer runs, a last line without its newline is a write in progress."""
    run = write_run(models_dir, "live", "running", 2, 10, seed=9)
    run.config_path.write_text(VALID_CONFIG)
    _append(run.events_path, b'{"type":"batch","epoch":3,"st')
    app = app_factory(open_run="live", start_screen="monitor")
    async with app.run_test(size=NARROW) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        assert monitor.status == "running"
        assert _note_lines(monitor.query_one(RunStatus).text) == []


async def test_garbage_appended_while_watching_is_skipped(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    run = write_run(models_dir, "live", "finished", 2, 2, seed=9)
    run.config_path.write_text(VALID_CONFIG)
    app = app_factory(open_run="live", start_screen="monitor")
    async with app.run_test(size=NARROW) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        _append(run.events_path, b"\x00\x01 binary junk\n{not json}\n")
        with EventWriter(run.events_path, fsync=False) as writer:
            writer.append("epoch_ended", epoch=3, epochs=3, val_accuracy=0.9, loss=0.5)
        await wait_for(pilot, lambda: "best 90.00% @3" in monitor.query_one(RunStatus).text)


# --- a run that diverged ------------------------------------------------------------------------

DIVERGED = "training loss became nan at epoch 2 step 137; stopped rather than train on garbage: " \
    "lower --learning-rate"  # fmt: skip
"""What callbacks.RunRecorder._check_divergence raises (DivergedError) and trainer.py writes."""
TRACEBACK_TAIL = [
    "Traceback (most recent call last):",
    '  File "/app/cifar_tui/core/trainer.py", line 94, in run_training',
    "    return _train(config, run, data, events, user_out, stop, resume, started)",
    '  File "/app/cifar_tui/core/callbacks.py", line 135, in _check_divergence',
    "    raise DivergedError(",
    f"cifar_tui.core.training.callbacks.DivergedError: {DIVERGED}",
]
"""The end of trainer.log: trainer.py prints the traceback to it (stderr) before the event."""


def _diverged_run(models_dir: Path, with_log: bool) -> RunFolder:
    """Epoch 1 trained, then the loss went NaN in epoch 2: the events trainer.py writes then."""
    run = create_run_folder(models_dir, "diverged")
    run.config_path.write_text('preset = "quick"\nlearning_rate = 9.0\n')
    with EventWriter(run.events_path, fsync=False) as events:
        events.append(
            "run_started", run=run.name, config={**preset("quick").to_dict(), "learning_rate": 9.0},
            device="CPU (2 cores)", strategy="one-device", replicas=1, mixed_precision="float32",
            steps_per_epoch=352, epochs=3, initial_epoch=0, initial_step=0, pid=4242,
            host="fakehost", resumed=False,
        )  # fmt: skip
        events.append("batch", epoch=1, step=176, steps=352, loss=2.9, accuracy=0.11)
        events.append(
            "epoch_ended", epoch=1, epochs=3, loss=3.4, accuracy=0.1, val_loss=2.6,
            val_accuracy=0.1, test_accuracy=0.1, learning_rate=9.0, seconds=12.0,
            train_seconds=11.0, images_per_second=480.0, first_batch_seconds=0.5, partial=False,
        )  # fmt: skip
        events.append("checkpoint_saved", epoch=1, step=0, path="checkpoint/epoch-0001.npz")
        events.append("predictions_saved", epoch=1, test_accuracy=0.1, test_loss=2.6)
        # The NaN batch itself is never written: the check raises before the batch event.
        events.append("batch", epoch=2, step=120, steps=352, loss=41.5, accuracy=0.1)
        events.append(
            "failed", epoch=1, error="DivergedError", message=DIVERGED, log_tail=TRACEBACK_TAIL
        )
    if with_log:
        run.log_path.write_text("\n".join(["I0000 cpu_feature_guard.cc] AVX512", *TRACEBACK_TAIL]))
    np.savez(run.predictions_path, probabilities=np.full((4, 10), 0.1), labels=np.arange(4))
    return run


@pytest.mark.parametrize("with_log", [True, False], ids=["trainer-log", "log-tail-in-event"])
async def test_a_diverged_run_shows_why_and_the_end_of_its_log(
    app_factory: Callable[..., CifarApp], models_dir: Path, with_log: bool
) -> None:
    _diverged_run(models_dir, with_log)
    app = app_factory(open_run="diverged", start_screen="monitor")
    async with app.run_test(size=NARROW) as pilot:
        monitor = app.screen.query_one(RunMonitor)
        await wait_for(pilot, lambda: monitor.loaded)
        assert monitor.status == "failed"
        failure = app.screen.query_one("#run-failure", Static)
        assert failure.display
        text = str(failure.render())
        assert text.startswith(f"Failed: {DIVERGED}\nlast lines of trainer.log:\n")
        assert text.endswith(f"DivergedError: {DIVERGED}")
        assert "    raise DivergedError(" in text
        status = monitor.query_one(RunStatus).text
        assert "diverged  ✗ failed" in status and "best 10.00% @1" in status
        assert _note_lines(status) == []


async def test_a_diverged_run_in_the_runs_list(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    _diverged_run(models_dir, with_log=True)
    os.utime(models_dir / "diverged" / "events.jsonl")  # the newest run: listed first
    app = app_factory()
    async with app.run_test(size=NARROW) as pilot:
        runs = app.screen.query_one(RunsList)
        await wait_for(pilot, lambda: "diverged" in [run.name for run in runs.runs])
        runs.select_run("diverged")
        await wait_for(pilot, lambda: DIVERGED in " ".join(_detail(app).split()))  # wrapped
        assert "enter: see the error and the end of trainer.log" in _detail(app)
        assert _note_lines(_detail(app)) == []
        assert json.loads(
            (models_dir / "diverged" / "events.jsonl").read_text().splitlines()[-1]
        )["error"] == "DivergedError"  # fmt: skip


# --- paths of the wrong kind, before the app opens (cli.check_paths; the verbs' side:
# tests/core/test_wrong_kind_paths.py) ------------------------------------------------------

APP_PATHS: dict[str, tuple[list[str], str]] = {
    # case: (argv, with {P} where the path goes; the kind of path)
    "models-dir-a-file": (["--models-dir", "{P}"], "file"),
    "models-dir-dangling": (["--models-dir", "{P}"], "dangling-link"),
    "models-dir-under-a-file": (["--models-dir", "{P}/runs"], "file"),
    "data-dir-dangling": (["--data-dir", "{P}"], "dangling-link"),
    "watch-run-a-file": (["watch", "{P}"], "file"),
    "browse-run-dangling": (["browse", "{P}"], "dangling-link"),
    "watch-models-dir-a-file": (["watch", "r1", "--models-dir", "{P}"], "file"),
}


@pytest.mark.parametrize(("argv", "kind"), APP_PATHS.values(), ids=APP_PATHS)
def test_the_app_refuses_a_path_of_the_wrong_kind_before_opening(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    kind: str,
) -> None:
    import sys

    import cifar_tui.app
    from cifar_tui import cli

    opened: list[object] = []
    monkeypatch.setattr(cifar_tui.app, "make_app", lambda **options: opened.append(options))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    path = tmp_path / "wrong"
    if kind == "file":
        path.write_text("not a folder\n")
    else:
        path.symlink_to(tmp_path / "gone")
    full = [arg.replace("{P}", str(path)) for arg in argv]
    if "--models-dir" not in full:
        full += ["--models-dir", str(tmp_path / "models")]
    assert cli.main(full) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("cifar-tui: error: ") and str(path) in line and "give" in line
    assert opened == []
