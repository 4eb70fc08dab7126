"""Cutting a video at keyframes into spans that separate Ray tasks decode.

A span owns the frames whose timestamp lies in [start, end); the first span starts at -inf and
the last ends at +inf, so every frame belongs to exactly one span whatever the keyframes are.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Span:
    """Frames with start <= pts < end; None means unbounded. `start` is a keyframe when set."""

    index: int
    start: int | None
    end: int | None

    def owns(self, pts: int) -> bool:
        """Whether the frame at `pts` belongs to this span."""
        return (self.start is None or pts >= self.start) and (self.end is None or pts < self.end)


def span_seconds(duration_s: float, minimum: float = 2.0, maximum: float = 20.0) -> float:
    """Target span length: about 8 spans a video, each long enough to be worth a task.

    It depends on the video alone (never on the cluster size) so that object keys, which name
    spans, are the same when a run is resumed on a different cluster.
    """
    return min(maximum, max(minimum, duration_s / 8.0))


def plan_spans(
    keyframes: Sequence[int], time_base: Fraction, target_s: float
) -> list[Span]:
    """Spans starting at keyframes, each at least `target_s` long except possibly the last."""
    cuts: list[int] = []
    last: int | None = None
    for k in sorted(set(keyframes)):
        if last is None:
            last = k  # the first keyframe opens span 0, which also takes any frames before it
            continue
        if (k - last) * time_base >= Fraction(target_s).limit_denominator(1000):
            cuts.append(k)
            last = k
    bounds: list[int | None] = [None, *cuts, None]
    return [Span(i, bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def assign(selected: Sequence[int], spans: Sequence[Span]) -> list[list[int]]:
    """The selected timestamps each span must produce, in span order."""
    # Spans are contiguous and ordered, and only the first has no start: bisect on the cuts.
    cuts = [s.start for s in spans[1:] if s.start is not None]
    out: list[list[int]] = [[] for _ in spans]
    for p in selected:
        out[bisect_right(cuts, p)].append(p)
    return out
