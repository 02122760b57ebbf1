"""`cifar-tui snapshot` (the monitor drawn headless, without a TTY) and the app's ctrl+p key."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.message import Message
from textual.notifications import Notify
from ui_support import FINISHED, RUNNING, settle
from written_events import raw_events

from cifar_tui.app import CifarApp
from cifar_tui.commands.snapshot import SIZE_FORM, parse_size
from cifar_tui.core.errors import UserError

# The CLI in a child process whose stdin and stdout are not a TTY; it fails if TF was imported.
CHILD = (
    "import sys; from cifar_tui.cli import main; code = main(sys.argv[1:]); "
    "assert 'tensorflow' not in sys.modules, 'snapshot imported TensorFlow'; sys.exit(code)"
)


def _snapshot(models: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TERM": "dumb"}
    env.pop("COLUMNS", None)
    return subprocess.run(
        [sys.executable, "-c", CHILD, "snapshot", *args, "--models-dir", str(models)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def _last_epoch(models: Path, run: str) -> dict[str, float]:
    return [e for e in raw_events(models / run / "events.jsonl") if e["type"] == "epoch_ended"][-1]


@pytest.mark.parametrize(
    ("text", "size"),
    [("120x40", (120, 40)), ("80X24", (80, 24)), (" 200 x 60 ", (200, 60)), ("40x10", (40, 10))],
)
def test_a_size_is_width_x_height(text: str, size: tuple[int, int]) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["120", "120x", "x40", "120*40", "abc", "", "120x40x2", "-1x5"])
def test_a_size_of_another_form_is_refused_naming_the_form(text: str) -> None:
    with pytest.raises(UserError, match=SIZE_FORM):
        parse_size(text)


@pytest.mark.parametrize("text", ["39x40", "120x9", "5000x40"])
def test_a_size_out_of_range_names_the_range(text: str) -> None:
    with pytest.raises(UserError, match="from 40x10 to 1000x500"):
        parse_size(text)


def test_text_without_a_tty_shows_the_run_and_its_epoch_table(models_dir: Path) -> None:
    done = _snapshot(models_dir, FINISHED, "--text", "--size", "120x40")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) <= 40 and max(len(line) for line in lines) <= 120
    assert "\x1b" not in done.stdout  # plain text: pastes into a chat as it is
    assert FINISHED in lines[0] and "finished" in done.stdout
    header = next(line for line in lines if "val acc" in line)
    assert header.split()[:3] == ["epoch", "loss", "acc"]
    last = _last_epoch(models_dir, FINISHED)
    row = next(line for line in lines if line.split()[:1] == [str(last["epoch"])])
    assert f"{100 * last['val_accuracy']:.2f}%" in row


def test_svg_is_written_and_parses(models_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "shot.svg"
    done = _snapshot(models_dir, FINISHED, "--svg", str(out), "--size", "80x24")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and f"wrote {out}" in done.stderr
    root = ElementTree.parse(out).getroot()
    assert root.tag.endswith("svg")
    svg = out.read_text()
    assert f"cifar-tui:&#160;{FINISHED}" in svg or f"cifar-tui: {FINISHED}" in svg
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--size", "wide"], "--size must be WIDTHxHEIGHT like 120x40"),
        (["--svg", "nowhere/shot.svg"], "--svg nowhere/shot.svg: folder nowhere not found"),
        (["--svg", "x.svg", "--text"], "not allowed with argument"),
    ],
)
def test_bad_arguments_are_one_line(models_dir: Path, args: list[str], says: str) -> None:
    done = _snapshot(models_dir, FINISHED, *args)
    assert done.returncode == 2
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_run_that_is_not_there_is_one_line(models_dir: Path) -> None:
    done = _snapshot(models_dir, "no-such-run", "--text")
    assert done.returncode == 2 and "no-such-run" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


async def test_ctrl_p_saves_the_screen_in_the_run_folder_and_says_where(
    app_factory: Callable[..., CifarApp], with_running: Path
) -> None:
    seen: list[Message] = []
    app = app_factory(open_run=RUNNING, start_screen="monitor")
    async with app.run_test(size=(120, 40), message_hook=seen.append) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        [notice] = [m.notification.message for m in seen if isinstance(m, Notify)]
    assert app.current_run is not None
    [shot] = app.current_run.path.glob("screenshot-*.svg")
    assert shot.parent.samefile(with_running / RUNNING)
    assert notice == f"Screenshot saved: {shot}"
    assert ElementTree.parse(shot).getroot().tag.endswith("svg")
    assert RUNNING in shot.read_text()


async def test_ctrl_p_with_no_run_open_saves_in_the_models_folder(
    app_factory: Callable[..., CifarApp], models_dir: Path
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press("ctrl+p")  # the same second: a second file, not the first replaced
        await pilot.pause()
    shots = sorted(models_dir.glob("screenshot-*.svg"))
    assert len(shots) == 2 and all(ElementTree.parse(s).getroot() is not None for s in shots)


def test_a_running_run_is_drawn_too(with_running: Path) -> None:
    """Its trainer (this test process, by the lock) is alive: the view keeps following it, and the
    snapshot is taken once the events so far are drawn."""
    done = _snapshot(with_running, RUNNING, "--size", "80x24")  # --text is the default
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) <= 24 and RUNNING in lines[1] and "running" in lines[1]
    last = _last_epoch(with_running, RUNNING)
    assert f"{100 * last['val_accuracy']:.2f}%" in done.stdout
