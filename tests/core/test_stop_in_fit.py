"""A stop requested mid-epoch is saved and reported from inside `fit`, once (no training here).

Once `fit` returns it drops a prefetching iterator, which TensorFlow 2.21 can crash on under the
mirrored and multi-worker strategies, so the checkpoint and the `stopped` event must already be
written by then.
"""

from __future__ import annotations

import pytest
from recorders import QuietSaver, quiet_recorder

from cifar_tui.core.training.recorder import RunRecorder
from cifar_tui.core.training.stopping import StopRequest

STEPS = 10


class FakeModel:
    stop_training = False


def make_recorder(
    stop: StopRequest, calls: list[tuple[int, int]], first_step: int = 0
) -> RunRecorder:
    """A recorder noting in `calls` each stop it asks its saver to save, on a stand-in model."""
    recorder = quiet_recorder(
        STEPS,
        stop=stop,
        first_step=first_step,
        saver=QuietSaver(on_stop=lambda epoch, step: calls.append((epoch, step))),
    )
    recorder.set_model(FakeModel())
    return recorder


def run_epoch(stop_at: int | None, first_step: int = 0) -> tuple[list[tuple[int, int]], bool]:
    """One epoch (epoch 3 of the run) with a stop requested after batch `stop_at` (1-based).

    Returns the (epoch, step) of each stop the saver was asked to save, and whether fit was
    told to stop.
    """
    stop = StopRequest()
    calls: list[tuple[int, int]] = []
    recorder = make_recorder(stop, calls, first_step)
    recorder.last_epoch_done = 2
    recorder.on_epoch_begin(2)
    for batch in range(STEPS - first_step):
        if stop_at is not None and first_step + batch + 1 >= stop_at:
            stop.request("SIGINT")
        recorder.on_train_batch_end(batch, {"loss": 1.0, "accuracy": 0.5})
        if recorder.model.stop_training:
            break
    return calls, recorder.model.stop_training


@pytest.mark.parametrize(
    ("stop_at", "first_step", "calls", "stopped"),
    [
        (None, 0, [], False),  # no stop: nothing recorded
        (4, 0, [(2, 4)], True),  # mid-epoch: recorded at once, at the step it came
        (1, 0, [(2, 1)], True),  # after the first batch
        (STEPS, 0, [], True),  # at the epoch's last batch: on_epoch_end saves the epoch instead
        (7, 5, [(2, 7)], True),  # a resumed partial epoch counts steps from the epoch's start
    ],
    ids=["no stop", "mid-epoch", "first batch", "last batch", "resumed epoch"],
)
def test_a_mid_epoch_stop_is_recorded_inside_fit_once(
    stop_at: int | None, first_step: int, calls: list[tuple[int, int]], stopped: bool
) -> None:
    assert run_epoch(stop_at, first_step) == (calls, stopped)


def test_it_is_recorded_once_even_if_fit_runs_another_batch() -> None:
    """Keras checks stop_training after the callbacks; a batch more must not record twice."""
    stop = StopRequest()
    calls: list[tuple[int, int]] = []
    recorder = make_recorder(stop, calls)
    recorder.on_epoch_begin(0)
    stop.request("SIGTERM")
    recorder.on_train_batch_end(0, {"loss": 1.0})
    recorder.on_train_batch_end(1, {"loss": 1.0})
    assert calls == [(0, 1)]


class SignalDuringWrite:
    """Events that request a stop while a batch event is written, as a signal can arrive then."""

    def __init__(self, stop: StopRequest, at_step: int) -> None:
        self.stop, self.at_step = stop, at_step
        self.types: list[str] = []

    def append(self, type: str, **fields: object) -> None:
        self.types.append(type)
        if type == "batch" and fields["step"] == self.at_step:
            self.stop.request("SIGTERM")


def test_a_signal_during_a_batch_event_stops_at_the_next_step_with_nothing_after() -> None:
    """The stop is read once per batch: fit stops at the batch that records it, so `stopped`
    is the last thing written (CI once saw a `batch` after it)."""
    stop = StopRequest()
    calls: list[tuple[int, int]] = []
    events = SignalDuringWrite(stop, at_step=3)
    recorder = quiet_recorder(
        STEPS, stop=stop, events=events,
        saver=QuietSaver(on_stop=lambda epoch, step: (calls.append((epoch, step)),
                                                       events.types.append("stopped"))),
    )  # fmt: skip
    recorder.set_model(FakeModel())
    recorder.on_epoch_begin(0)
    for batch in range(STEPS):
        recorder._last_batch_event = 0.0  # every batch is due for an event
        recorder.on_train_batch_end(batch, {"loss": 1.0, "accuracy": 0.5})
        if recorder.model.stop_training:
            break
    assert calls == [(0, 4)]
    assert events.types == ["batch"] * 4 + ["stopped"]
