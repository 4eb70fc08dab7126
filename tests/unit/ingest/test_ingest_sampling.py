"""Sampling by timestamp: the kept frames are exactly the first at or after each instant."""

from __future__ import annotations

from bisect import bisect_left
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from workers.ingest.sampling import as_fraction, lost_ranges, ordered_timestamps, select_pts
from workers.ingest.spans import assign, plan_spans


def brute_force(pts: list[int], tb: Fraction, hz: Fraction) -> list[int]:
    """For each instant t0 + k/hz up to the last frame, the first frame at or after it."""
    t0, k = pts[0], 0
    out: list[int] = []
    while (instant := t0 * tb + k / hz) <= pts[-1] * tb:
        first = pts[bisect_left(pts, instant / tb)]  # first pts with pts * tb >= instant
        if not out or out[-1] != first:
            out.append(first)
        k += 1
    return out


def test_25fps_at_10hz_keeps_the_first_frame_at_or_after_each_tenth() -> None:
    pts = list(range(0, 221 * 512, 512))  # 221 frames at 25 fps, time base 1/12800
    kept = select_pts(pts, Fraction(1, 12800), Fraction(10))
    seconds = [p / 12800 for p in kept]
    assert len(kept) == 89
    assert seconds[:4] == [0.0, 0.12, 0.2, 0.32]
    assert kept == brute_force(pts, Fraction(1, 12800), Fraction(10))


def test_sampling_faster_than_the_video_keeps_each_frame_once() -> None:
    pts = [0, 100, 200, 300]
    assert select_pts(pts, Fraction(1, 1000), Fraction(30)) == pts


def test_a_gap_longer_than_the_interval_keeps_the_frame_after_it_once() -> None:
    pts = [0, 40, 50, 200, 210, 220, 600, 1000]  # a VFR screen recording, ms
    assert select_pts(pts, Fraction(1, 1000), Fraction(10)) == [0, 200, 600, 1000]


def test_start_offset_is_relative_to_the_first_frame() -> None:
    pts = [5000 + 40 * i for i in range(10)]
    assert select_pts(pts, Fraction(1, 1000), Fraction(10)) == [5000, 5120, 5200, 5320]


@settings(deadline=None, max_examples=60)  # the machine is shared; Fractions are slow
@given(
    st.lists(st.integers(0, 3_000), min_size=1, max_size=80),
    st.sampled_from([Fraction(1, 1000), Fraction(1, 12800), Fraction(1001, 30000)]),
    st.sampled_from([1.0, 2.0, 10.0, 29.97, 60.0]),
)
def test_selection_equals_brute_force(raw: list[int], tb: Fraction, hz: float) -> None:
    pts = ordered_timestamps(raw)
    assert select_pts(pts, tb, as_fraction(hz)) == brute_force(pts, tb, as_fraction(hz))


@given(
    st.lists(st.integers(0, 10_000), min_size=1, max_size=60),
    st.lists(st.integers(0, 10_000), max_size=10),
    st.floats(0.01, 3.0),
)
def test_spans_partition_the_selection_in_order(
    raw: list[int], keys: list[int], target: float
) -> None:
    pts = ordered_timestamps(raw)
    selected = select_pts(pts, Fraction(1, 1000), Fraction(10))
    spans = plan_spans(keys, Fraction(1, 1000), target)
    parts = assign(selected, spans)
    assert [p for part in parts for p in part] == selected  # none missing, none twice
    for span, part in zip(spans, parts, strict=True):
        assert all(span.owns(p) for p in part)


def test_unordered_and_repeated_timestamps_are_put_in_display_order_once() -> None:
    assert ordered_timestamps([0, 1024, 512, 512, 1536, 1024]) == [0, 512, 1024, 1536]


def test_lost_frames_become_merged_second_ranges() -> None:
    pts = [0, 100, 200, 300, 400, 500]
    ranges = lost_ranges([200, 300, 500], pts, 0, Fraction(1, 1000))
    assert ranges == [(0.2, 0.4), (0.5, 0.5)]
    assert lost_ranges([], pts, 0, Fraction(1, 1000)) == []
