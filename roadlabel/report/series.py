"""Time series of a batch for the report: throughput over time and burn-down, as pure maths."""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]


def throughput(accepts: Sequence[tuple[float, int]], start_h: float, end_h: float,
               buckets: int = 20) -> list[Point]:
    """Accepted frames per hour in equal buckets of [start_h, end_h], at each bucket's middle.

    ``accepts`` are (hours since the batch began, frames) of each accepted task.
    """
    if end_h <= start_h:
        end_h = start_h + 1 / 60
    width = (end_h - start_h) / buckets
    frames = [0] * buckets
    for at, n in accepts:
        i = min(max(int((at - start_h) / width), 0), buckets - 1)
        frames[i] += n
    return [(start_h + (i + 0.5) * width, f / width) for i, f in enumerate(frames)]


def burndown(accepts: Sequence[tuple[float, int]], total: int) -> list[Point]:
    """Frames not yet accepted, stepping down at each acceptance (starting from total at 0)."""
    out = [(0.0, float(total))]
    left = total
    for at, n in sorted(accepts):
        out.append((at, float(left)))
        left -= n
        out.append((at, float(left)))
    return out
