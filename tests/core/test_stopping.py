"""The stop flag, and the agreed stop of multi-worker runs (with a fake collective)."""

from __future__ import annotations

import pytest

from cifar_tui.core.training.stopping import AgreedStop, StopRequest


def test_the_first_reason_is_kept() -> None:
    stop = StopRequest()
    assert not stop.is_set()
    stop.request("SIGINT")
    stop.request("SIGTERM")
    assert stop.is_set() and stop.reason == "SIGINT"


class FakeCluster:
    """`any_worker` over this worker's flag and what the other workers pass, step by step."""

    def __init__(self, others_stop_at: int | None) -> None:
        self.others_stop_at = others_stop_at
        self.calls: list[tuple[int, bool]] = []
        self.step = 0

    def any_worker(self, mine: bool) -> bool:
        self.calls.append((self.step, mine))
        others = self.others_stop_at is not None and self.step >= self.others_stop_at
        return mine or others


@pytest.mark.parametrize(
    ("signal_at", "others_stop_at", "stops_at", "reason"),
    [
        (None, None, None, ""),  # nobody stops
        (3, None, 10, "SIGINT"),  # this worker's signal takes effect at the next check
        (10, None, 10, "SIGINT"),  # a signal at a check step is seen at once
        (None, 14, 20, "another worker stopped"),  # another worker's stop reaches this one
        (25, 21, 30, "SIGINT"),  # both: one agreement, this worker's own reason
    ],
)
def test_agreed_stop_takes_effect_at_the_same_check_step(
    signal_at: int | None, others_stop_at: int | None, stops_at: int | None, reason: str
) -> None:
    local, cluster = StopRequest(), FakeCluster(others_stop_at)
    stop = AgreedStop(local, cluster.any_worker, every=10)
    stopped_at = None
    for step in range(1, 41):
        cluster.step = step
        if step == signal_at:
            stop.request("SIGINT")
        stop.check(step)
        if stop.is_set() and stopped_at is None:
            stopped_at = step
    assert stopped_at == stops_at and stop.reason == reason
    # The collective runs only at check steps, the same on every worker, and not after a stop.
    assert [step for step, _ in cluster.calls] == [10, 20, 30, 40][: len(cluster.calls)]
    assert all(step % 10 == 0 for step, _ in cluster.calls)
    if stops_at is not None:
        assert cluster.calls[-1][0] == stops_at


def test_a_local_request_alone_is_not_a_stop() -> None:
    stop = AgreedStop(StopRequest(), lambda mine: mine, every=10)
    stop.request("SIGTERM")
    stop.check(5)
    assert not stop.is_set()  # no check step yet: the other workers must not be left behind
