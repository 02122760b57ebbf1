"""`cifar-tui`, `cifar-tui watch RUN` and `cifar-tui browse RUN` build the app on the right view."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ui_support import FINISHED

import cifar_tui.app
from cifar_tui import cli


class _FakeApp:
    def run(self) -> None:
        pass


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """make_app's keyword arguments per call, with a TTY faked and the app not run."""
    calls: list[dict[str, Any]] = []

    def fake_make_app(**options: Any) -> _FakeApp:
        calls.append(options)
        return _FakeApp()

    monkeypatch.setattr(cifar_tui.app, "make_app", fake_make_app)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    return calls


@pytest.mark.parametrize(
    ("argv", "screen", "run"),
    [
        ([], "runs", None),
        (["watch", FINISHED], "monitor", FINISHED),
        (["browse", FINISHED], "browse", FINISHED),
        (["browse", FINISHED, "--data-dir", "/data"], "browse", FINISHED),
    ],
    ids=["app", "watch", "browse", "browse-data-dir"],
)
def test_views_open_on_their_screen(
    built: list[dict[str, Any]], argv: list[str], screen: str, run: str | None
) -> None:
    assert cli.main(["--models-dir", "models", *argv]) == 0
    (options,) = built
    assert options["start_screen"] == screen
    assert options["open_run"] == run
    assert options["models_dir"] == Path("models")
    assert options["data_dir"] == ("/data" if "--data-dir" in argv else None)


@pytest.mark.parametrize(
    ("argv", "yields"),
    [
        ([], True),
        (["--app-priority", "idle"], True),
        (["--app-priority", "normal"], False),
        (["watch", FINISHED], True),
        (["watch", FINISHED, "--app-priority", "normal"], False),
        (["--app-priority", "normal", "browse", FINISHED], False),
        (["browse", FINISHED, "--app-priority", "idle"], True),
    ],
)
def test_the_app_yields_the_cpu_to_training_unless_asked_not_to(
    built: list[dict[str, Any]], argv: list[str], yields: bool
) -> None:
    assert cli.main(["--models-dir", "models", *argv]) == 0
    (options,) = built
    assert options["yield_cpu"] is yields


def test_an_unknown_run_is_one_line(models_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["--models-dir", str(models_dir), "watch", "nosuch"])
    assert code != 0
    error = capsys.readouterr().err
    # Without a TTY the app is not opened at all; with one, make_app reports the unknown run.
    assert error.startswith("cifar-tui: error: ") and error.count("\n") == 1


def test_make_app_refuses_an_unknown_run(models_dir: Path) -> None:
    from cifar_tui.core.errors import UserError

    with pytest.raises(UserError, match="no run named 'nosuch'"):
        cifar_tui.app.make_app(models_dir, open_run="nosuch", start_screen="monitor")


@pytest.mark.parametrize("verb", [[], ["watch", "x"]], ids=["app", "watch"])
def test_without_a_terminal_one_line_points_at_train(tmp_path: Path, verb: list[str]) -> None:
    """Piped or cron'd, the app does not start: one line says what to run instead."""
    finished = subprocess.run(
        [sys.executable, "-m", "cifar_tui", *verb],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert finished.returncode == 2
    assert finished.stdout == ""
    (line,) = finished.stderr.splitlines()
    assert line.startswith("cifar-tui: error: the app needs a terminal")
    assert "`cifar-tui train" in line and "Traceback" not in finished.stderr
