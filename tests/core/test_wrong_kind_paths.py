"""Paths of the wrong kind, in every verb: one line naming the input and the fix, exit code 2.

A file where a folder is expected and the reverse, a dangling symbolic link, a folder that
cannot be created (core/paths.py, called from cli.check_paths before any verb starts). The
app's side (no verb, watch, browse) is in tests/ui/test_app_bad_input.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from run_fixtures import write_run

from cifar_tui.cli import main
from cifar_tui.core.errors import UserError
from cifar_tui.core.paths import require_dir, require_file, require_path

P = "{P}"
"""Where the path of the wrong kind goes in a case's argv."""
P_KERAS = "{P}.keras"
"""The same, named like a model file."""

# Each slot: (argv with P, the kinds that are wrong there)
FOLDER_KINDS = ("file", "dangling-link")
FILE_KINDS = ("folder", "dangling-link")
CREATED_KINDS = (*FOLDER_KINDS, "under-a-file")
SLOTS: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "train-models-dir": (["train", "--models-dir", P], CREATED_KINDS),
    "train-worker-dir": (["train", "--worker-dir", P], CREATED_KINDS),
    "train-config": (["train", "--config", P], FILE_KINDS),
    "train-resume": (["train", "--resume", P], FOLDER_KINDS),
    "train-data-dir": (["train", "--data-dir", P], ("dangling-link",)),
    "evaluate-models-dir": (["evaluate", "r1", "--models-dir", P], (*FOLDER_KINDS, "under-a-file")),
    "evaluate-model": (["evaluate", P_KERAS], FILE_KINDS),
    "evaluate-run": (["evaluate", P], ("dangling-link",)),  # a file there is a model file
    "evaluate-images": (["evaluate", "absent.keras", "--images", P], FOLDER_KINDS),
    "evaluate-data-dir": (["evaluate", "absent.keras", "--data-dir", P], ("dangling-link",)),
    "predict-models-dir": (["predict", "r1", "x.png", "--models-dir", P], FOLDER_KINDS),
    "predict-model": (["predict", P_KERAS, "x.png"], FILE_KINDS),
    "predict-image": (["predict", "absent.keras", P], FILE_KINDS),
    "runs-models-dir": (["runs", "--models-dir", P], (*FOLDER_KINDS, "under-a-file")),
    "export-models-dir": (["export", "r1", "--models-dir", P], FOLDER_KINDS),
    "export-run": (["export", P], FOLDER_KINDS),
    "export-csv": (["export", "r1", "--csv", P], (*FILE_KINDS, "under-a-file")),
    "export-tensorboard": (["export", "r1", "--tensorboard", P], CREATED_KINDS),
    "snapshot-models-dir": (["snapshot", "r1", "--models-dir", P], FOLDER_KINDS),
    "snapshot-run": (["snapshot", P], FOLDER_KINDS),
    "snapshot-svg": (["snapshot", "r1", "--svg", P], (*FILE_KINDS, "under-a-file")),
    "stop-models-dir": (["stop", "r1", "--models-dir", P], FOLDER_KINDS),
    "stop-run": (["stop", P], FOLDER_KINDS),
}


def _make(kind: str, where: Path, suffix: str) -> Path:
    """A path of `kind` in folder `where`."""
    path = where / f"wrong{suffix}"
    if kind == "file":
        path.write_text("not what you want\n")
    elif kind == "folder":
        path.mkdir()
    elif kind == "dangling-link":
        path.symlink_to(where / "gone")
    elif kind == "under-a-file":
        (where / "plain").write_text("a file\n")
        path = where / "plain" / "runs"
    return path


def _cases() -> list[pytest.param]:
    return [
        pytest.param(argv, kind, id=f"{slot}-{kind}")
        for slot, (argv, kinds) in SLOTS.items()
        for kind in kinds
    ]


@pytest.mark.parametrize(("argv", "kind"), _cases())
def test_a_path_of_the_wrong_kind_is_one_line_and_exit_2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    kind: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CIFAR_TUI_OFFLINE", "1")
    models = tmp_path / "models"
    write_run(models, "r1", "finished", 3)
    path = _make(kind, tmp_path, ".keras" if P_KERAS in argv else "")
    full = [str(path) if arg in (P, P_KERAS) else arg for arg in argv]
    if "--models-dir" not in full:
        full += ["--models-dir", str(models)]
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(full)
    out, err = capsys.readouterr()
    assert (code, out) == (2, ""), err
    (line,) = err.splitlines()
    assert line.startswith("cifar-tui: error: ") and "Traceback" not in err
    assert str(path) in line
    assert "give" in line  # the fix
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing created


def test_export_refuses_a_folder_where_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = write_run(tmp_path, "r1", "finished", 3)
    (run.path / "model.json").mkdir()
    assert main(["export", "r1", "--models-dir", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert str(run.path / "model.json") in line and "is a folder, not a file" in line


# --- core/paths on its own ------------------------------------------------------------------


def test_a_folder_that_may_be_created_is_probed_and_left_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    assert require_dir(target, "--models-dir", create=True) == target
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(UserError, match="cannot be created"):
        require_dir(Path("/proc/no/such"), "--models-dir", create=True)


def test_what_passes(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert require_file(tmp_path / "f", "x") == tmp_path / "f"
    assert require_file(tmp_path / "none", "x", missing_ok=True) == tmp_path / "none"
    assert require_dir(tmp_path, "x") == tmp_path
    assert require_dir(tmp_path / "none", "x", missing_ok=True) == tmp_path / "none"
    assert require_path(tmp_path / "f", "x") == tmp_path / "f"
    with pytest.raises(UserError, match="not found"):
        require_dir(tmp_path / "none", "x")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_a_special_file_is_neither_file_nor_folder(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for check in (require_path, require_file, require_dir):
        with pytest.raises(UserError, match="not a regular file or folder"):
            check(fifo, "--data-dir")


def test_processes_that_share_a_missing_folder_can_check_it_at_once(tmp_path: Path) -> None:
    """The workers of one run check --models-dir at the same moment: none may be refused."""
    import threading

    shared = tmp_path / "models" / "nested"
    errors: list[Exception] = []
    start = threading.Barrier(8)

    def check() -> None:
        start.wait()
        for _ in range(50):
            try:
                require_dir(shared, "--models-dir", create=True)
            except UserError as error:
                errors.append(error)

    def create_it() -> None:
        start.wait()
        shared.mkdir(parents=True, exist_ok=True)  # a trainer creating its run folder meanwhile

    threads = [threading.Thread(target=check) for _ in range(7)]
    threads.append(threading.Thread(target=create_it))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert shared.is_dir()  # nobody removed what the trainer made
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["nested"]  # no probe left


def test_a_creatable_folder_is_checked_without_being_made(tmp_path: Path) -> None:
    require_dir(tmp_path / "a" / "b", "--models-dir", create=True)
    assert list(tmp_path.iterdir()) == []
