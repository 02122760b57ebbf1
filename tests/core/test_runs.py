"""Run folders: paths, finding runs by name or path, listing with statuses, naming, the table."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

# tests/run_fixtures.py: pytest puts tests/ on sys.path (tests/conftest.py, no __init__.py there).
from run_fixtures import (
    CORRECT_PREDICTIONS,
    FAILURE_MESSAGE,
    PREDICTION_COUNT,
    fake_events,
    write_run,
)

from cifar_tui.core.errors import UserError
from cifar_tui.core.rundir import folder
from cifar_tui.core.rundir.event_types import TERMINAL_EVENTS, EpochEnded
from cifar_tui.core.rundir.folder import RunFolder
from cifar_tui.core.rundir.listing import RunScanner, list_runs, newest_first, resolve_run
from cifar_tui.core.rundir.lock import RunLockedError
from cifar_tui.core.rundir.naming import create_run_folder, new_run_name, valid_run_name
from cifar_tui.core.rundir.runs_table import format_percent, format_runs_table, runs_as_json
from cifar_tui.core.rundir.status import STATUSES
from cifar_tui.core.rundir.summary import RunSummary


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    """A models/ folder with one run in every status, plus entries that are not runs."""
    models = tmp_path / "models"
    # Seeds set the start hour (and the created run's config mtime), so seed order is age order.
    write_run(models, "run-running", "running", epochs_done=3, seed=1)
    write_run(models, "run-finished", "finished", epochs_done=10, seed=2)
    write_run(models, "run-stopped", "stopped", epochs_done=4, seed=3)
    write_run(models, "run-failed", "failed", epochs_done=2, seed=4)
    write_run(models, "run-interrupted", "interrupted", epochs_done=5, seed=5)
    write_run(models, "run-created", "created", epochs_done=0, seed=6)
    (models / "notes.txt").write_text("not a run")
    (models / "empty-folder").mkdir()
    (models / ".hidden-run").mkdir()
    (models / ".hidden-run" / "config.toml").write_text('preset = "x"\n')
    return models


# --- constants and paths -------------------------------------------------------------------------


def test_file_names_are_the_contract() -> None:
    assert (folder.CONFIG_FILE, folder.EVENTS_FILE, folder.CHECKPOINT_DIR) == (
        "config.toml",
        "events.jsonl",
        "checkpoint",
    )
    assert (folder.MODEL_FILE, folder.PREDICTIONS_FILE) == ("model.keras", "predictions.npz")
    assert (folder.LOCK_FILE, folder.LOG_FILE) == ("trainer.lock", "trainer.log")
    assert folder.LATEST_CHECKPOINT_FILE == "latest.json"
    assert TERMINAL_EVENTS == {"finished", "stopped", "failed"}


@pytest.mark.parametrize(
    ("attribute", "relative"),
    [
        ("config_path", "config.toml"),
        ("events_path", "events.jsonl"),
        ("checkpoint_dir", "checkpoint"),
        ("model_path", "model.keras"),
        ("predictions_path", "predictions.npz"),
        ("lock_path", "trainer.lock"),
        ("log_path", "trainer.log"),
    ],
)
def test_run_folder_paths(attribute: str, relative: str) -> None:
    run = RunFolder(Path("/models/2026-11-25_1915_fast"))
    assert getattr(run, attribute) == Path("/models/2026-11-25_1915_fast") / relative
    assert run.name == "2026-11-25_1915_fast"


def test_run_folder_existence_checks(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "r")
    assert not run.exists
    run.path.mkdir()
    assert not run.exists  # an empty folder is not a run
    run.config_path.write_text('preset = "fast"\n')
    assert run.exists
    run.config_path.unlink()
    run.events_path.write_text("")
    assert run.exists  # events without a config (a run started by hand)
    run.events_path.unlink()
    run.events_path.mkdir()
    assert not run.exists  # a folder named events.jsonl is no events file


def test_run_folder_is_frozen_and_hashable() -> None:
    run = RunFolder(Path("a"))
    assert {run: 1}[RunFolder(Path("a"))] == 1
    with pytest.raises(AttributeError):
        run.path = Path("b")  # type: ignore[misc]


def test_run_folder_lock_refuses_a_second_trainer(tmp_path: Path) -> None:
    run = write_run(tmp_path, "r", "running", epochs_done=1)
    with pytest.raises(RunLockedError, match="already being trained"):
        run.lock().acquire()


def test_the_runs_tail_reads_its_events(tmp_path: Path) -> None:
    run = write_run(tmp_path, "r", "finished", epochs_done=2, epochs_total=2)
    tail = run.tail()
    assert tail.poll() == run.events() and run.events()[-1].type == "finished"
    assert tail.poll() == []


# --- summaries and listing -----------------------------------------------------------------------


def test_list_runs_shows_every_status_newest_first(models_dir: Path) -> None:
    listed = list_runs(models_dir)
    assert [summary.name for summary in listed] == [
        "run-created",
        "run-interrupted",
        "run-failed",
        "run-stopped",
        "run-finished",
        "run-running",
    ]
    assert {summary.name: summary.status for summary in listed} == {
        f"run-{status}": status for status in STATUSES
    }


def test_summary_fields_of_fixture_runs(models_dir: Path) -> None:
    by_name = {summary.name: summary for summary in list_runs(models_dir)}
    finished = by_name["run-finished"]
    assert (finished.epochs_done, finished.epochs_total) == (10, 10)
    assert finished.test_accuracy == CORRECT_PREDICTIONS / PREDICTION_COUNT
    assert finished.best_val_accuracy is not None and 0.6 < finished.best_val_accuracy < 0.8
    assert finished.best_epoch is not None and 5 <= finished.best_epoch <= 10
    assert (finished.strategy, finished.replicas, finished.preset) == ("default", 1, "recipe-2018")
    assert finished.path == models_dir / "run-finished"
    assert by_name["run-failed"].message == FAILURE_MESSAGE
    assert by_name["run-stopped"].message is None
    created = by_name["run-created"]
    # No run_started event yet: preset and epochs come from config.toml.
    assert (created.epochs_done, created.epochs_total, created.preset) == (0, 10, "recipe-2018")
    assert created.started is None and created.updated is not None


def test_list_runs_of_missing_folder_is_empty(tmp_path: Path) -> None:
    assert list_runs(tmp_path / "nope") == []


def test_run_with_garbage_files_still_lists(tmp_path: Path) -> None:
    models = tmp_path / "models"
    broken = models / "broken"
    broken.mkdir(parents=True)
    (broken / "config.toml").write_bytes(b"\xff not = [toml")
    (broken / "events.jsonl").write_bytes(b'garbage\n{"type": "run_started", "epochs": "x"}\n{"ty')
    (broken / "trainer.lock").write_bytes(b"\x00\x01")
    weird = models / "weird"
    weird.mkdir()
    (weird / "config.toml").write_text("epochs = 3\n")
    (weird / "events.jsonl").mkdir()  # a folder where the events file should be
    by_name = {summary.name: summary for summary in list_runs(models)}
    assert by_name["broken"].status == "interrupted"
    assert (by_name["broken"].epochs_total, by_name["broken"].preset) == (None, None)
    assert (by_name["weird"].status, by_name["weird"].epochs_total) == ("created", 3)


def test_runs_as_json_round_trips(models_dir: Path) -> None:
    rows = runs_as_json(list_runs(models_dir))
    assert json.loads(json.dumps(rows, allow_nan=False)) == rows
    assert {field for field in rows[0]} == set(RunSummary.__dataclass_fields__)
    finished = next(row for row in rows if row["name"] == "run-finished")
    assert finished["path"] == str(models_dir / "run-finished")
    assert finished["status"] == "finished" and finished["epochs_done"] == 10


# --- resolve_run ---------------------------------------------------------------------------------


def test_resolve_by_name(models_dir: Path) -> None:
    run = resolve_run("run-finished", models_dir)
    assert run.path == (models_dir / "run-finished").absolute()


def test_resolve_by_absolute_and_relative_path(
    models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_run(str(models_dir / "run-failed"), tmp_path / "elsewhere").name == "run-failed"
    monkeypatch.chdir(tmp_path)
    run = resolve_run("models/run-stopped/", tmp_path / "elsewhere")
    assert run.path == (tmp_path / "models" / "run-stopped").absolute()
    monkeypatch.chdir(models_dir)
    assert resolve_run("run-created", tmp_path / "elsewhere").name == "run-created"


def test_resolve_prefers_the_name_in_models_dir(
    models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_run(tmp_path / "cwd", "run-finished", "failed", epochs_done=1)
    monkeypatch.chdir(tmp_path / "cwd")
    assert resolve_run("run-finished", models_dir).path == (models_dir / "run-finished").absolute()


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("nope", id="unknown-name"),
        pytest.param("empty-folder", id="folder-without-config-or-events"),
        pytest.param("notes.txt", id="a-file"),
        pytest.param("", id="empty"),
        pytest.param("/no/such/run", id="missing-path"),
        pytest.param("   ", id="blank"),
        pytest.param("~nosuchuser-xyz/run", id="unknown-home"),
    ],
)
def test_resolve_missing_run_lists_the_runs(models_dir: Path, spec: str) -> None:
    with pytest.raises(UserError) as caught:
        resolve_run(spec, models_dir)
    message = str(caught.value)
    assert message.startswith(f"no run named {spec!r} in {models_dir}/ (runs: ")
    runs_listed = "run-stopped, run-running, run-interrupted, run-finished, run-failed, run-created"
    assert f"(runs: {runs_listed});" in message
    assert message.endswith("give a run name or a path to a run folder")
    assert "\n" not in message


def test_resolve_lists_at_most_ten_runs(tmp_path: Path) -> None:
    for index in range(12):
        write_run(tmp_path, f"run-{index:02d}", "created", epochs_done=0)
    with pytest.raises(UserError) as caught:
        resolve_run("x", tmp_path)
    assert "(runs: run-11, run-10, run-09, " in str(caught.value)
    assert "run-02, ...);" in str(caught.value)


def test_resolve_in_empty_models_dir_says_none_yet(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"\(runs: none yet\)"):
        resolve_run("x", tmp_path)


# --- naming and creating -------------------------------------------------------------------------

NOW = datetime(2026, 11, 25, 19, 15, 42)


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        pytest.param("recipe-2018", "2026-11-25_1915_recipe-2018", id="preset"),
        pytest.param("My Run #1!", "2026-11-25_1915_my-run-1", id="spaces-and-symbols"),
        pytest.param("../../etc", "2026-11-25_1915_etc", id="path-traversal"),
        pytest.param("", "2026-11-25_1915", id="empty"),
        pytest.param("v1.2_b", "2026-11-25_1915_v1.2_b", id="dots-underscores"),
    ],
)
def test_new_run_name(tmp_path: Path, label: str, expected: str) -> None:
    assert new_run_name(tmp_path, label, now=NOW) == expected


def test_new_run_name_skips_taken_names(tmp_path: Path) -> None:
    names = []
    for _ in range(3):
        name = new_run_name(tmp_path, "fast", now=NOW)
        create_run_folder(tmp_path, name)
        names.append(name)
    assert names == ["2026-11-25_1915_fast", "2026-11-25_1915_fast-2", "2026-11-25_1915_fast-3"]


def test_new_run_name_defaults_to_now(tmp_path: Path) -> None:
    assert new_run_name(tmp_path, "x").startswith(datetime.now().strftime("%Y-%m-%d_"))


def test_create_run_folder(tmp_path: Path) -> None:
    run = create_run_folder(tmp_path / "new-models", "r1")
    assert run.path.is_dir() and run.path == tmp_path / "new-models" / "r1"
    with pytest.raises(UserError, match="already exists"):
        create_run_folder(tmp_path / "new-models", "r1")


@pytest.mark.parametrize("name", ["", ".", "..", ".hidden", "a/b", "../escape"])
def test_create_run_folder_refuses_bad_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(UserError, match="bad run name"):
        create_run_folder(tmp_path, name)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("2026-11-25_1915_fast", True),
        ("a", True),
        ("run..2", True),
        ("", False),
        (".", False),
        ("..", False),
        (".hidden", False),
        ("a/b", False),
        ("a/", False),
        ("../escape", False),
        ("/abs", False),
    ],
)
def test_valid_run_name(name: str, valid: bool) -> None:
    assert valid_run_name(name) is valid


def test_the_scanner_lists_as_list_runs_and_reuses_summaries(models_dir: Path) -> None:
    scanner = RunScanner(models_dir)
    assert scanner.scan() == list_runs(models_dir)
    again = scanner.scan()
    assert again == list_runs(models_dir)
    finished = next(summary for summary in again if summary.name == "run-finished")
    assert any(summary is finished for summary in scanner.scan())  # unchanged: not re-read
    assert RunScanner(models_dir / "missing").scan() == []


def test_newest_first_breaks_ties_by_name() -> None:
    runs = [_summary("a", "finished", updated=1.0), _summary("c", "finished", updated=1.0),
            _summary("b", "finished", updated=2.0), _summary("d", "created")]  # fmt: skip
    assert [run.name for run in newest_first(runs)] == ["b", "c", "a", "d"]


@pytest.mark.parametrize(
    ("fraction", "digits", "text"),
    [(None, 1, "-"), (0.8734, 1, "87.3%"), (0.8734, 2, "87.34%"), (1.0, 2, "100.00%")],
)
def test_format_percent(fraction: float | None, digits: int, text: str) -> None:
    assert format_percent(fraction, digits) == text


# --- the table -----------------------------------------------------------------------------------


def _summary(name: str, status: str, **fields: object) -> RunSummary:
    values: dict[str, object] = dict(
        name=name,
        path=Path(name),
        status=status,
        epochs_done=0,
        epochs_total=None,
        best_val_accuracy=None,
        best_epoch=None,
        test_accuracy=None,
        started=None,
        updated=None,
        strategy=None,
        replicas=None,
        preset=None,
        message=None,
    )
    values.update(fields)
    return RunSummary(**values)  # type: ignore[arg-type]


def test_format_runs_table() -> None:
    updated = datetime(2026, 11, 25, 21, 5).timestamp()
    table = format_runs_table(
        [
            _summary(
                "2026-11-25_1915_recipe-2018",
                "finished",
                epochs_done=125,
                epochs_total=125,
                best_val_accuracy=0.8412,
                test_accuracy=0.83549,
                updated=updated,
            ),
            _summary("quick", "running", epochs_done=2, epochs_total=3, best_val_accuracy=0.4),
            _summary("new", "created"),
        ]
    )
    assert table.splitlines() == [
        "run                          status     epochs  best val acc  test acc  updated",
        "2026-11-25_1915_recipe-2018  finished  125/125         84.1%     83.5%  2026-11-25 21:05",
        "quick                        running       2/3         40.0%         -  -",
        "new                          created       0/?             -         -  -",
    ]


def test_format_runs_table_empty() -> None:
    assert format_runs_table([]) == "no runs yet"


def test_format_fixture_runs_has_a_row_each(models_dir: Path) -> None:
    lines = format_runs_table(list_runs(models_dir)).splitlines()
    assert len(lines) == 1 + len(STATUSES)
    assert len({line.index("status") if "status" in line else None for line in lines[:1]}) == 1
    column = lines[0].index("status")
    assert sorted(line[column:].split()[0] for line in lines[1:]) == sorted(STATUSES)


# --- the fixture builder itself ------------------------------------------------------------------


def test_write_run_is_deterministic(tmp_path: Path) -> None:
    first = write_run(tmp_path / "a", "r", "stopped", epochs_done=3, seed=7)
    second = write_run(tmp_path / "b", "r", "stopped", epochs_done=3, seed=7)
    assert first.events_path.read_bytes() == second.events_path.read_bytes()
    assert first.config_path.read_bytes() == second.config_path.read_bytes()
    one, two = np.load(first.predictions_path), np.load(second.predictions_path)
    assert np.array_equal(one["probabilities"], two["probabilities"])


def test_write_run_predictions_match_the_contract(tmp_path: Path) -> None:
    run = write_run(tmp_path, "r", "finished", epochs_done=10)
    with np.load(run.predictions_path) as predictions:
        probabilities, labels = predictions["probabilities"], predictions["labels"]
        assert int(predictions["epoch"]) == 10
    assert probabilities.shape == (PREDICTION_COUNT, 10) and probabilities.dtype == np.float32
    assert labels.shape == (PREDICTION_COUNT,)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert int((probabilities.argmax(axis=1) == labels).sum()) == CORRECT_PREDICTIONS


def test_write_run_events_rise_and_end_right(tmp_path: Path) -> None:
    run = write_run(tmp_path, "r", "finished", epochs_done=10, with_predictions=False)
    events = run.events()
    epochs = [event for event in events if isinstance(event, EpochEnded)]
    assert [event.epoch for event in epochs] == list(range(1, 11))
    first, last = epochs[0], epochs[-1]
    assert first.val_accuracy is not None and first.accuracy is not None
    assert last.val_accuracy is not None and last.val_accuracy > first.val_accuracy + 0.2
    assert last.accuracy is not None and last.accuracy > first.accuracy + 0.2
    assert (events[0].type, events[-1].type) == ("run_started", "finished")
    assert any(event.type == "batch" for event in events)
    assert not run.predictions_path.exists()
    times = [event.time or 0.0 for event in events]
    assert times == sorted(times)


def test_fake_events_of_created_run_is_empty() -> None:
    assert fake_events("created", 0) == []
    with pytest.raises(ValueError, match="unknown status"):
        fake_events("paused", 1)


def test_run_folder_modules_import_no_tensorflow_keras_or_textual() -> None:
    code = (
        "import sys, cifar_tui.core.rundir.listing, cifar_tui.core.rundir.naming, "
        "cifar_tui.core.rundir.runs_table, cifar_tui.core.rundir.live; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'textual') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
