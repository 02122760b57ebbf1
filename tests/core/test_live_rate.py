"""A batch event's images/s is the speed over its last few seconds (a fake clock, no training)."""

from __future__ import annotations

import pytest
from recorders import EventList, quiet_recorder

from cifar_tui.core.training import recorder as recorder_module

BATCH_SIZE = 8
STEP_SECONDS = 0.125  # 64 images/s; exact in binary, so events come every 4 steps on the dot
EVENT_STEPS = 4  # a batch event every 0.5 s (BATCH_EVENT_INTERVAL) at this speed, from step 1


def batch_rates(
    monkeypatch: pytest.MonkeyPatch, steps: int, stalls: dict[int, float], first_step: int = 0
) -> list[float]:
    """images/s of every batch event of one epoch; `stalls` adds seconds before a given step."""
    now = [1000.0]
    monkeypatch.setattr(recorder_module.time, "perf_counter", lambda: now[0])
    events = EventList()
    recorder = quiet_recorder(
        first_step + steps, batch_size=BATCH_SIZE, first_step=first_step, events=events
    )
    recorder.on_epoch_begin(0)
    for batch in range(steps):
        now[0] += STEP_SECONDS + stalls.get(batch, 0.0)
        recorder.on_train_batch_end(batch, {"loss": 1.0, "accuracy": 0.5})
    return [fields["images_per_second"] for kind, fields in events.appended if kind == "batch"]


@pytest.mark.parametrize(
    ("case", "steps", "stalls", "first_step", "expected"),
    [
        ("steady", 100, {}, 0, {"all": 64.0}),
        ("a resumed epoch counts only its own steps", 100, {}, 40, {"all": 64.0}),
        # The trainer stopped (SIGSTOP, a busy machine) for 1000 s before batch 48, the 13th
        # event's: the speed drops, then is the true one again once the stall has left the
        # window. (Over the whole epoch so far it would stay under 2 images/s to the end.)
        ("after a stall", 200, {48: 1000.0}, 0, {"before": 64.0, "window later": 64.0}),
    ],
)
def test_the_live_rate_is_the_recent_speed(
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    steps: int,
    stalls: dict[int, float],
    first_step: int,
    expected: dict[str, float],
) -> None:
    rates = batch_rates(monkeypatch, steps, stalls, first_step)
    if "all" in expected:
        assert rates == pytest.approx([expected["all"]] * len(rates))
        return
    stall_event = next(iter(stalls)) // EVENT_STEPS  # the first event after the stall
    assert rates[:stall_event] == pytest.approx([expected["before"]] * stall_event)
    # While the window reaches back before the stall (this event and the next ten), the speed
    # is low: at this event, 44 steps of 8 images over the 1005.5 s since the window's start.
    window = slice(stall_event, stall_event + recorder_module.RATE_WINDOW_EVENTS + 1)
    assert rates[stall_event] == pytest.approx(44 * BATCH_SIZE / 1005.5)
    assert all(rate < 1.0 for rate in rates[window])
    later = rates[window.stop :]
    assert later and later == pytest.approx([expected["window later"]] * len(later))
