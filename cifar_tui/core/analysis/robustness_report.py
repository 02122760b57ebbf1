"""A run's accuracy on corrupted test images: the `corruptions.json` contract, read and written
without TensorFlow (the `evaluate --corruptions` command writes it, the app's view reads it)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cifar_tui.core.data.corruptions import LABELS, REFERENCE_JPEG_QUALITY, SEVERITIES
from cifar_tui.core.rundir.atomic import atomic_write_text

CORRUPTIONS_FILE = "corruptions.json"
"""Inside a run folder: the latest `cifar-tui evaluate RUN --corruptions` result."""

FORMAT_VERSION = 1


@dataclass(frozen=True)
class RobustnessReport:
    """Accuracy (0-1) on clean images, per corruption and severity, and at JPEG quality 75."""

    model: str
    images: int
    clean: float
    jpeg_q75: float
    accuracies: dict[str, tuple[float, ...]]  # name -> accuracy at severities 1..5
    seconds: float = 0.0

    def mean(self, name: str) -> float:
        """One corruption's mean over its severities."""
        values = self.accuracies[name]
        return sum(values) / len(values)

    @property
    def mca(self) -> float:
        """The mean corruption accuracy: the mean over every corruption and severity."""
        values = [v for row in self.accuracies.values() for v in row]
        return sum(values) / len(values) if values else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "model": self.model,
            "images": self.images,
            "seconds": round(self.seconds, 3),
            "clean_accuracy": self.clean,
            "jpeg_q75_accuracy": self.jpeg_q75,
            "mean_corruption_accuracy": self.mca,
            "corruptions": {
                name: {
                    "severities": dict(zip(map(str, SEVERITIES), row, strict=True)),
                    "mean": self.mean(name),
                }
                for name, row in self.accuracies.items()
            },
        }


def report_from_json(data: Any) -> RobustnessReport:
    """The report in `data` (a parsed corruptions.json); ValueError naming what is wrong."""
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        raise ValueError(f"not a version {FORMAT_VERSION} corruptions report")
    try:
        accuracies = {
            str(name): tuple(_fraction(entry["severities"][str(s)]) for s in SEVERITIES)
            for name, entry in data["corruptions"].items()
        }
        return RobustnessReport(
            model=str(data["model"]),
            images=int(data["images"]),
            clean=_fraction(data["clean_accuracy"]),
            jpeg_q75=_fraction(data["jpeg_q75_accuracy"]),
            accuracies=accuracies,
            seconds=float(data.get("seconds", 0.0)),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"corruptions report lacks {error}") from None


def _fraction(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number) or not 0.0 <= number <= 1.0:
        raise ValueError(f"accuracy {value!r} is not between 0 and 1")
    return number


def write_report(run_path: Path, report: RobustnessReport) -> Path:
    """Write `corruptions.json` into the run folder atomically; its path."""
    path = run_path / CORRUPTIONS_FILE
    atomic_write_text(path, json.dumps(report.to_json(), indent=2) + "\n")
    return path


def read_report(run_path: Path) -> RobustnessReport | None:
    """The run's report, None when it has none; ValueError when the file is unreadable."""
    path = run_path / CORRUPTIONS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    try:
        return report_from_json(json.loads(text))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not JSON: {error.msg}") from None


def report_lines(report: RobustnessReport) -> list[str]:
    """The plain-text table `evaluate --corruptions` prints (accuracies in %)."""
    head = f"{'corruption':<15}" + "".join(f"{f's{s}':>7}" for s in SEVERITIES) + f"{'mean':>8}"
    lines = [head]
    for name, row in report.accuracies.items():
        cells = "".join(f"{100 * v:7.2f}" for v in row)
        lines.append(f"{LABELS.get(name, name):<15}{cells}{100 * report.mean(name):8.2f}")
    lines.append(f"{'clean':<15}{100 * report.clean:7.2f}")
    lines.append(f"{f'JPEG q{REFERENCE_JPEG_QUALITY}':<15}{100 * report.jpeg_q75:7.2f}")
    lines.append(f"{'mCA':<15}{100 * report.mca:7.2f}")
    lines.append(
        f"{report.images} test images, {len(SEVERITIES) * len(report.accuracies)} corrupted "
        f"copies, {report.seconds:.1f} s; model {report.model}"
    )
    return lines
