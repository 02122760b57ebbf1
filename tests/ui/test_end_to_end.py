"""The real app in tmux: load a config in the form, start a tiny run, and watch an epoch appear."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cifar_tui.core.config_files import save_config
from cifar_tui.core.presets import preset
from cifar_tui.core.rundir.event_types import EpochEnded
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.listing import list_runs

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
]


class Tmux:
    """A detached tmux session running one command, read as a user would see it."""

    def __init__(self, name: str, command: str, size: tuple[int, int] = (120, 40)) -> None:
        self.name = name
        width, height = size
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
             f"{command}; sleep 600"],
            check=True,
        )  # fmt: skip

    def keys(self, *keys: str, literal: bool = False) -> None:
        for key in keys:
            flags = ["-l"] if literal else []
            subprocess.run(["tmux", "send-keys", "-t", self.name, *flags, key], check=True)
            time.sleep(0.3)

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-t", self.name, "-p"], check=True,
                              capture_output=True, text=True).stdout  # fmt: skip

    def wait_for(self, seen: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if seen(screen):
                return screen
            time.sleep(0.5)
        raise AssertionError(f"not seen within {timeout} s; the screen was:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


@pytest.fixture
def tmux_sessions() -> Iterator[list[Tmux]]:
    sessions: list[Tmux] = []
    yield sessions
    for session in sessions:
        session.close()


def _wait_until_done(models: Path, timeout: float = 120.0) -> str:
    """Wait for every run to stop training (so the test leaves no trainer behind)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = list_runs(models)
        if runs and all(run.status != "running" for run in runs):
            return runs[0].status
        time.sleep(0.5)
    return "still running"


def test_start_a_tiny_run_from_the_form_and_see_an_epoch(
    tmp_path: Path, make_cifar_archive: Callable[..., Path], tmux_sessions: list[Tmux]
) -> None:
    archive = make_cifar_archive(per_batch=100, test_size=100)
    config = tmp_path / "tiny.toml"
    save_config(preset("quick").replace(epochs=2, train_size=0, batch_size=50), config)
    models = tmp_path / "models"
    command = " ".join(
        [f"cd {shlex.quote(str(Path.cwd()))} &&", "TERM=xterm-256color CIFAR_TUI_OFFLINE=1",
         shlex.quote(sys.executable), "-m cifar_tui", "--models-dir", shlex.quote(str(models)),
         "--data-dir", shlex.quote(str(archive))]
    )  # fmt: skip
    app = Tmux(f"cifar-e2e-{tmp_path.name}", command)
    tmux_sessions.append(app)
    app.wait_for(lambda screen: "1 Runs" in screen and "No runs in" in screen, timeout=20)
    app.keys("4")
    app.wait_for(lambda screen: "learning_rate" in screen, timeout=10)
    app.keys("BTab", "BTab", "BTab")  # from the preset selector back to 'config file'
    app.keys(str(config), literal=True)
    app.keys("C-o")
    app.wait_for(lambda screen: "Loaded" in screen, timeout=10)
    app.keys("C-t")
    # The monitor opens at once; the trainer imports TensorFlow, loads the data, then trains.
    screen = app.wait_for(lambda screen: "     1 " in screen.split("epoch     loss")[-1], 150)
    assert "2 Monitor" in screen and "_quick" in screen
    status = _wait_until_done(models)
    assert status == "finished"
    run = RunFolder(list_runs(models)[0].path)
    assert [e.epoch for e in run.events() if isinstance(e, EpochEnded)] == [1, 2]
    app.wait_for(lambda screen: "finished" in screen, timeout=10)
    app.keys("q")  # nothing trains any more, so it quits without asking
    app.wait_for(lambda screen: "cifar-tui" not in screen and "Monitor" not in screen, 10)
