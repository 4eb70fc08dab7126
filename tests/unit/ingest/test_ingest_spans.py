"""Span planning: keyframe cuts, unbounded ends, video-only target length."""

from __future__ import annotations

from fractions import Fraction

from workers.ingest.spans import Span, plan_spans, span_seconds


def test_spans_start_at_keyframes_at_least_target_apart() -> None:
    keys = [0, 12, 24, 36, 48, 60]  # a keyframe every 0.48 s at 25 fps (tb 1/25)
    spans = plan_spans(keys, Fraction(1, 25), 1.0)
    assert spans == [Span(0, None, 36), Span(1, 36, None)]


def test_first_span_takes_frames_before_the_first_keyframe() -> None:
    spans = plan_spans([10, 100], Fraction(1, 10), 1.0)
    assert spans[0].owns(-5) and spans[0].owns(99) and not spans[0].owns(100)
    assert spans[1].owns(10**9)


def test_no_keyframe_gives_one_span() -> None:
    assert plan_spans([], Fraction(1, 1000), 2.0) == [Span(0, None, None)]


def test_target_depends_on_duration_only_and_is_clamped() -> None:
    assert span_seconds(1.0) == 2.0
    assert span_seconds(60.0) == 7.5
    assert span_seconds(3600.0) == 20.0
