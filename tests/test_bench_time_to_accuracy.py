"""bench/time_to_accuracy.py: epochs and minutes to a target, with paused epochs discounted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_modules import load_bench

bench = load_bench("time_to_accuracy")

Epoch = bench.Epoch


def _epochs(*rows: tuple[float, float]) -> list:
    """Epochs 1..n from (test accuracy, seconds), back to back from time 1000."""
    epochs, now = [], 1000.0
    for number, (accuracy, seconds) in enumerate(rows, 1):
        now += seconds
        epochs.append(Epoch(number, accuracy, seconds, now))
    return epochs


@pytest.mark.parametrize(
    ("rows", "pauses", "paused", "minutes"),
    [
        ([(0.5, 60), (0.6, 60)], [], set(), [1.0, 2.0]),
        # Epoch 2 spans 1060-1660 and holds a pause: it counts as the median clean epoch (60 s).
        ([(0.5, 60), (0.6, 600), (0.7, 60)], [(1100, 1500)], {2}, [1.0, 2.0, 3.0]),
        # A pause that ends before an epoch starts touches nothing.
        ([(0.5, 60), (0.6, 60)], [(900, 1000)], set(), [1.0, 2.0]),
    ],
)
def test_paused_epochs_count_as_a_typical_one(
    rows: list, pauses: list, paused: set, minutes: list
) -> None:
    epochs = _epochs(*rows)
    assert bench.paused_epochs(epochs, pauses) == paused
    assert bench.elapsed_minutes(epochs, paused) == pytest.approx(minutes)


@pytest.mark.parametrize(
    ("accuracies", "target", "expected"),
    [
        ([0.80, 0.86, 0.84, 0.91], 0.85, (2, 2.0)),
        ([0.80, 0.86, 0.84, 0.91], 0.90, (4, 4.0)),
        ([0.80, 0.86], 0.90, None),
        ([0.85], 0.85, (1, 1.0)),  # reaching the target exactly counts
    ],
)
def test_first_epoch_reaching_a_target(
    accuracies: list[float], target: float, expected: tuple | None
) -> None:
    epochs = _epochs(*[(accuracy, 60.0) for accuracy in accuracies])
    minutes = bench.elapsed_minutes(epochs, set())
    assert bench.first_reaching(epochs, minutes, target) == expected


def test_reads_a_run_folder_and_skips_a_torn_line(tmp_path: Path) -> None:
    events = [
        {"type": "run_started", "time": 1.0, "config": {"preset": "fast"}},
        {"type": "epoch_ended", "time": 61.0, "epoch": 1, "test_accuracy": 0.7, "seconds": 60.0},
        {"type": "epoch_ended", "time": 99.0, "epoch": 2, "test_accuracy": 0.8, "seconds": 30.0,
         "partial": True},
    ]  # fmt: skip
    text = "\n".join(json.dumps(event) for event in events) + '\n{"type": "epo'
    (tmp_path / "events.jsonl").write_text(text)
    preset, epochs = bench.read_epochs(tmp_path)
    assert preset == "fast"
    # A resumed (partial) epoch is kept, marked: it counts as a whole median epoch of time.
    assert [(e.number, e.test_accuracy, e.partial) for e in epochs] == [
        (1, 0.7, False), (2, 0.8, True)]  # fmt: skip


def test_a_split_epoch_counts_as_a_median_epoch() -> None:
    epochs = [
        bench.Epoch(1, 0.5, 100.0, 100.0),
        bench.Epoch(2, 0.6, 60.0, 160.0),
        bench.Epoch(3, 0.7, 20.0, 999.0, partial=True),  # 20 s after a resume: counts as 60
        bench.Epoch(4, 0.8, 60.0, 1059.0),
    ]
    assert bench.elapsed_minutes(epochs, paused=set()) == [100 / 60, 160 / 60, 220 / 60, 280 / 60]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=1:2", {"a": [(1.0, 2.0)]}),
        ("a=1:2,3:4,b=5:6", {"a": [(1.0, 2.0), (3.0, 4.0)], "b": [(5.0, 6.0)]}),
        ("", {}),
    ],
)
def test_pauses_name_each_run_once(text: str, expected: dict) -> None:
    assert bench.parse_pauses(text) == expected


@pytest.mark.parametrize("text", ["1:2", "a=1", "a=1:2:3"])
def test_unreadable_pauses_are_one_line(text: str) -> None:
    with pytest.raises(SystemExit, match="--pauses"):
        bench.parse_pauses(text)


def test_each_run_keeps_its_own_pauses_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two runs whose epoch 2 each spans a pause, given as two --pauses flags: both are discounted
    # (a second flag used to replace the first, silently).
    for name in ("a", "b"):
        events = [{"type": "run_started", "time": 0.0, "config": {"preset": "fast"}}] + [
            {"type": "epoch_ended", "time": float(end), "epoch": epoch,
             "test_accuracy": accuracy, "seconds": float(seconds)}
            for epoch, end, accuracy, seconds in [(1, 60, 0.5, 60), (2, 660, 0.86, 600),
                                                  (3, 720, 0.91, 60)]
        ]  # fmt: skip
        (tmp_path / name).mkdir()
        (tmp_path / name / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    monkeypatch.setattr(
        "sys.argv",
        ["time_to_accuracy.py", str(tmp_path / "a"), str(tmp_path / "b"),
         "--pauses", "a=100:500", "--pauses", "b=100:500", "--targets", "0.85,0.90"],
    )  # fmt: skip
    bench.main()
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| a ")
            or line.startswith("| b ")]  # fmt: skip
    # 85% at epoch 2 after 2 minutes, 90% at epoch 3 after 3, for both runs.
    assert [row.split(" | ")[5:7] for row in rows] == [["2, 2.0", "3, 3.0"]] * 2


def test_a_finished_run_with_test_time_views_reports_them(tmp_path: Path) -> None:
    events = [
        {"type": "epoch_ended", "time": 61.0, "epoch": 1, "test_accuracy": 0.93, "seconds": 60.0},
        {"type": "finished", "time": 70.0, "epoch": 1, "test_accuracy": 0.9412, "seconds": 69.0,
         "tta": "flip-translate", "single_view_accuracy": 0.93},
    ]  # fmt: skip
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events) + "\n")
    final = bench.read_final(tmp_path)
    assert final is not None and final.label() == "94.12% (flip-translate; single view 93.00%)"
    (tmp_path / "events.jsonl").write_text(json.dumps(events[0]) + "\n")
    assert bench.read_final(tmp_path) is None  # not finished (yet)
