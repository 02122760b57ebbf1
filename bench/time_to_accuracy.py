"""Epochs and wall-clock time to target test accuracies, with the curves, from real run folders.

Reads the `epoch_ended` and `finished` events of each run (trained with `cifar-tui train` on the
real archive) and prints a table plus a plotext chart of test accuracy against minutes of
training. A run with test-time views (`tta`) reports its final figure through them: a target that
only that figure reaches is reached at the run's end, its wall clock from start to `finished`.

Time is the sum of the epochs' own `seconds` (training + per-epoch evaluation + checkpoint), i.e.
the wall clock of the trainer without its start-up. A run that was paused (SIGSTOP) while other
benchmarks used the machine can name the pauses (`--pauses RUN=START:END,...`, unix seconds); an
epoch that overlaps a pause counts as the median of the epochs that did not.

    .venv/bin/python bench/time_to_accuracy.py /work/runs/fast-full-1 /work/runs/recipe-full \\
        [--pauses recipe-full=1795646761:1795647494,...] [--targets 0.90,0.93,0.94]
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from pathlib import Path

import plotext as plt
from benchkit import run_events


@dataclass
class Epoch:
    number: int
    test_accuracy: float
    seconds: float
    ended: float  # unix time of the epoch_ended event
    partial: bool = False  # resumed mid-epoch: its `seconds` cover only the steps after the stop


def read_epochs(run: Path) -> tuple[str, list[Epoch]]:
    """The run's preset and its completed epochs (a torn last line is skipped)."""
    preset, epochs = "?", []
    for event in run_events(run):
        if event.type == "run_started":
            preset = event.preset or preset
        elif event.type == "epoch_ended":
            epochs.append(
                Epoch(
                    event.epoch,
                    event.test_accuracy,
                    event.seconds,
                    event.time,
                    bool(event.partial),
                )
            )
    return preset, epochs


@dataclass
class Final:
    """A `finished` event: the reported test accuracy (through test-time views if `tta`)."""

    test_accuracy: float
    seconds: float
    """From the trainer's start to `finished`: the wall clock of the run's last session."""
    tta: str | None = None
    single_view_accuracy: float | None = None

    def label(self) -> str:
        if not self.tta:
            return f"{100 * self.test_accuracy:.2f}%"
        single = self.single_view_accuracy or 0.0
        return f"{100 * self.test_accuracy:.2f}% ({self.tta}; single view {100 * single:.2f}%)"


def read_final(run: Path) -> Final | None:
    """The run's `finished` event, if it finished."""
    for event in run_events(run, "finished"):
        return Final(event.test_accuracy, event.seconds, event.tta, event.single_view_accuracy)
    return None


def paused_epochs(epochs: list[Epoch], pauses: list[tuple[float, float]]) -> set[int]:
    """Epochs whose span [ended - seconds, ended] overlaps a pause."""
    return {
        epoch.number
        for epoch in epochs
        for start, end in pauses
        if epoch.ended - epoch.seconds < end and start < epoch.ended
    }


def elapsed_minutes(epochs: list[Epoch], paused: set[int]) -> list[float]:
    """Minutes of training at the end of each epoch; paused epochs, and epochs split by a stop and
    resume (whose first part has no event), count as the median whole epoch."""
    clean = [e.seconds for e in epochs[1:] if e.number not in paused and not e.partial]
    typical = statistics.median(clean) if clean else None
    total, minutes = 0.0, []
    for epoch in epochs:
        seconds = epoch.seconds
        if (epoch.number in paused or epoch.partial) and typical is not None:
            seconds = typical
        total += seconds
        minutes.append(total / 60)
    return minutes


def first_reaching(
    epochs: list[Epoch], minutes: list[float], target: float
) -> tuple[int, float] | None:
    """(epoch, minutes) of the first epoch whose test accuracy is at least `target`."""
    for epoch, minute in zip(epochs, minutes, strict=True):
        if epoch.test_accuracy >= target:
            return epoch.number, minute
    return None


def parse_pauses(text: str | None) -> dict[str, list[tuple[float, float]]]:
    """`RUN=START:END,START:END,RUN2=START:END` (a span without `RUN=` is the previous run's)."""
    pauses: dict[str, list[tuple[float, float]]] = {}
    name = None
    for item in (text or "").split(","):
        if not item:
            continue
        if "=" in item:
            name, item = item.split("=", 1)
        if name is None or item.count(":") != 1:
            raise SystemExit(f"--pauses: cannot read {item!r}; write RUN=START:END,START:END")
        start, end = item.split(":")
        pauses.setdefault(name, []).append((float(start), float(end)))
    return pauses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument(
        "--pauses", action="append", default=[],
        help="RUN=START:END,... (unix seconds) when a run was paused; may be given once per run",
    )  # fmt: skip
    parser.add_argument("--targets", default="0.90,0.93,0.94")
    args = parser.parse_args()
    targets = [float(target) for target in args.targets.split(",")]
    pauses = parse_pauses(",".join(args.pauses))
    heads = " | ".join(f"{100 * target:.0f}%: epoch, minutes" for target in targets)
    print(f"| run | preset | epochs | best epoch's accuracy | final | {heads} | median s/epoch |")
    print("|---|---|---|---|---|" + "---|" * (len(targets) + 1))
    plt.clear_figure()
    plt.plotsize(100, 25)
    plt.theme("clear")
    for run in args.runs:
        preset, epochs = read_epochs(run)
        if not epochs:
            print(f"| {run.name} | {preset} | 0 | - | - |" + " - |" * (len(targets) + 1))
            continue
        final = read_final(run)
        paused = paused_epochs(epochs, pauses.get(run.name, []))
        minutes = elapsed_minutes(epochs, paused)
        cells = []
        for target in targets:
            reached = first_reaching(epochs, minutes, target)
            if reached:
                cells.append(f"{reached[0]}, {reached[1]:.1f}")
            elif final and final.tta and final.test_accuracy >= target:
                cells.append(f"at the end ({final.tta}), {final.seconds / 60:.1f} wall clock")
            else:
                cells.append("not reached")
        best = max(epoch.test_accuracy for epoch in epochs)
        clean = [e.seconds for e in epochs[1:] if e.number not in paused] or [epochs[0].seconds]
        ended = final.label() if final else "-"
        print(f"| {run.name} | {preset} | {len(epochs)} | {100 * best:.2f}% | {ended} | "
              f"{' | '.join(cells)} | {statistics.median(clean):.0f} |")  # fmt: skip
        plt.plot(minutes, [100 * e.test_accuracy for e in epochs], label=f"{run.name} ({preset})",
                 marker="braille")  # fmt: skip
    for target in targets:
        plt.hline(100 * target)
    plt.title("test accuracy (%) against minutes of training")
    plt.xlabel("minutes")
    print("\n```")
    print(plt.uncolorize(plt.build()))
    print("```")


if __name__ == "__main__":
    main()
