"""Cutting a sequence into tasks: segments of K consecutive frames overlapping by O frames."""

from __future__ import annotations

from roadlabel.errors import ConfigError


def plan_segments(n_frames: int, length: int, overlap: int) -> list[tuple[int, int]]:
    """Half-open [start, end) frame ranges covering 0..n_frames, neighbours sharing `overlap`.

    The last segment is shortened rather than padded; a tail no longer than the overlap is
    already covered by the previous segment and gets no segment of its own.
    """
    if length < 1 or overlap < 0 or overlap >= length:
        raise ConfigError(
            f"segment length {length} with overlap {overlap} is invalid",
            "use a length >= 1 and 0 <= overlap < length",
        )
    if n_frames <= 0:
        return []
    step = length - overlap
    out: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(start + length, n_frames)
        out.append((start, end))
        if end >= n_frames:
            return out
        start += step
