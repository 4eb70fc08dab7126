"""Which frames to keep: decided by presentation timestamp alone, never by an assumed rate.

For sampling instants s_k = t0 + k / hz (t0 = the first frame's timestamp), the frame kept for
s_k is the first frame whose timestamp is >= s_k. Equivalently frame i is kept when an instant
falls in (t_{i-1}, t_i]: the decision needs only the frame and its predecessor, so every span
of a video decoded in parallel agrees with one pass over the whole video.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction


def ordered_timestamps(pts: Iterable[int]) -> list[int]:
    """Presentation timestamps in display order, duplicates dropped (demux order is not display
    order with B-frames, and some muxers repeat or reorder timestamps)."""
    return sorted(set(pts))


def select_pts(pts_sorted: Sequence[int], time_base: Fraction, hz: Fraction) -> list[int]:
    """The sorted timestamps of the frames kept at `hz` samples per second."""
    if not pts_sorted:
        return []
    t0 = pts_sorted[0]
    out: list[int] = []
    last_bucket: int | None = None
    for p in pts_sorted:
        bucket = math.floor((p - t0) * time_base * hz)  # exact: Fractions, no float drift
        if last_bucket is None or bucket > last_bucket:
            out.append(p)
        last_bucket = bucket
    return out


def as_fraction(hz: float) -> Fraction:
    """A sampling rate as an exact fraction (10.0 -> 10, 29.97 -> 2997/100)."""
    return Fraction(str(hz)).limit_denominator(1_000_000)


def lost_ranges(
    lost_pts: Sequence[int], pts_sorted: Sequence[int], t0: int, time_base: Fraction
) -> list[tuple[float, float]]:
    """Seconds [from, to) covered by selected frames that did not decode, neighbours merged.

    A lost frame's range runs to the next timestamp of the video (or to its own if last).
    """
    if not lost_pts:
        return []
    position = {p: i for i, p in enumerate(pts_sorted)}
    ranges: list[tuple[float, float]] = []
    for p in sorted(lost_pts):
        i = position[p]
        end = pts_sorted[i + 1] if i + 1 < len(pts_sorted) else p
        lo, hi = float((p - t0) * time_base), float((end - t0) * time_base)
        if ranges and ranges[-1][1] >= lo:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
        else:
            ranges.append((lo, hi))
    return ranges
