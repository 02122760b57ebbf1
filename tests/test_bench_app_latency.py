"""The reading of terminal output (bench/benchkit.py) that bench/app_latency.py measures with:
bursts, key responses, synchronized frames, percentiles; and its event filter."""

from __future__ import annotations

import pytest
from bench_modules import load_bench

bench = load_bench("app_latency")
kit = load_bench("benchkit")

Chunk = kit.Chunk


def chunks(*reads: tuple[float, bytes]) -> list:
    return [Chunk(time, data) for time, data in reads]


@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        ([], []),
        ([(1.0, b"a")], [(1.0, 1.0, b"a")]),
        # Gaps up to the quiet time (20 ms) stay in one burst; longer ones start another.
        ([(1.0, b"a"), (1.015, b"b"), (1.04, b"c")], [(1.0, 1.015, b"ab"), (1.04, 1.04, b"c")]),
        ([(1.0, b"a"), (1.01, b"b"), (1.02, b"c")], [(1.0, 1.02, b"abc")]),
    ],
    ids=["nothing", "one read", "a gap splits", "no gap"],
)
def test_bursts(reads: list, expected: list) -> None:
    found = kit.bursts(chunks(*reads))
    assert [burst.data for burst in found] == [data for _, _, data in expected]
    assert [(burst.start, burst.end) for burst in found] == [(s, e) for s, e, _ in expected]


# The key is written at 10.0; the marker is b"MARK".
@pytest.mark.parametrize(
    ("reads", "now", "expected"),
    [
        # The repaint: first byte 5 ms after the key, its burst ends at 20 ms.
        ([(10.005, b"xx"), (10.02, b"yMARKy")], 10.2, (0.005, 0.02, 8)),
        # A streaming frame first (its own burst), then the repaint: the first byte is the
        # frame's, the end is the repaint burst's.
        ([(10.002, b"frame"), (10.06, b"MA"), (10.07, b"RK")], 10.2, (0.002, 0.07, 4)),
        # Output before the key is not the key's.
        ([(9.99, b"MARK"), (10.01, b"other")], 10.2, None),
        # No marker yet: no answer.
        ([(10.01, b"progress bars")], 10.2, None),
        # The marker's burst may go on: 20 ms have not passed since its last read.
        ([(10.01, b"MARK")], 10.025, None),
        # ... and once they have, it is over.
        ([(10.01, b"MARK")], 10.031, (0.01, 0.01, 4)),
        # A later burst with the marker after the marker's burst ended: the first one counts.
        ([(10.01, b"MARK"), (10.2, b"MARK again")], 10.3, (0.01, 0.01, 4)),
    ],
    ids=[
        "repaint",
        "frame then repaint",
        "before the key",
        "no marker",
        "burst may go on",
        "burst over",
        "first marker burst",
    ],
)
def test_key_response(reads: list, now: float, expected: tuple | None) -> None:
    response = kit.key_response(chunks(*reads), 10.0, b"MARK", now)
    if expected is None:
        assert response is None
    else:
        assert response is not None
        first, done, size = expected
        assert (response.first_byte, response.repaint_done) == pytest.approx((first, done))
        assert response.bytes == size


S, E = kit.SYNC_START, kit.SYNC_END


# Synchronized output: each frame comes between SYNC_START and SYNC_END.
@pytest.mark.parametrize(
    ("reads", "expected"),
    [
        # Without frames there is no frame end.
        ([(10.01, b"MARK")], None),
        # The frame ends in the read that brings SYNC_END; its size counts both brackets.
        ([(10.01, S + b"MA"), (10.02, b"RK" + E)], (10.02, len(S) + 4 + len(E))),
        # A progress-bar frame that follows within the quiet time is not part of the repaint.
        ([(10.01, S + b"MARK" + E), (10.015, S + b"bars" + E)], (10.01, len(S) + 4 + len(E))),
        # SYNC_END split across two reads: the frame ends with the second.
        ([(10.01, S + b"MARK" + E[:3]), (10.03, E[3:] + b"x")], (10.03, len(S) + 4 + len(E))),
        # A frame not yet ended.
        ([(10.01, S + b"MARK")], None),
        # A frame before the marker's does not count.
        ([(10.01, S + b"bars" + E), (10.02, S + b"MARK" + E)], (10.02, len(S) + 4 + len(E))),
    ],
    ids=["no frames", "frame over two reads", "next frame apart", "split end", "open", "earlier"],
)
def test_marker_frame(reads: list, expected: tuple | None) -> None:
    found = kit.marker_frame(chunks(*reads), b"MARK")
    if expected is None:
        assert found is None
    else:
        assert found == (pytest.approx(expected[0]), expected[1])


def test_key_response_gives_the_frame_end_and_the_burst_end() -> None:
    reads = [(10.005, S + b"MARK" + E), (10.02, S + b"progress bars" + E)]
    response = kit.key_response(chunks(*reads), 10.0, b"MARK", now=10.1)
    assert response is not None
    assert response.frame_done == pytest.approx(0.005)
    assert response.repaint_done == pytest.approx(0.02)  # the burst took the next frame in


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([5.0], (5.0, 5.0, 5.0)),
        ([3.0, 1.0, 2.0], (2.0, 3.0, 3.0)),
        (list(range(1, 11)), (5.5, 9, 10)),  # p90 by nearest rank: the 9th of 10
        (list(range(1, 21)), (10.5, 18, 20)),
    ],
)
def test_describe(values: list[float], expected: tuple[float, float, float]) -> None:
    assert kit.describe(values) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("events", "left_out"),
    [
        ([], False),
        ([9.1], False),  # 0.9 s before the key: repainted by then
        ([9.3], True),  # 0.7 s before: a 0.5 s poll may only just have found it
        ([10.04], True),  # during the repaint
        ([10.06], False),  # after it
    ],
)
def test_presses_near_events_are_left_out(events: list[float], left_out: bool) -> None:
    assert bench.overlaps_event(10.0, 10.05, events) is left_out
