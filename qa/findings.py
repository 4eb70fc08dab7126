"""QA findings: what a check reports back to the annotator, and how to read a list of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qa.profile import Severity


@dataclass(frozen=True)
class Finding:
    """One problem found in a label document.

    ``frames`` are frame indices of the sequence; ``track_ids`` are the track IDs (or lane IDs,
    for lane checks) involved; ``value`` is the measured quantity and ``threshold`` the limit it
    broke, both in the unit the check's message names (SI units, angles in radians).
    These field names travel to annotation clients and stay stable.
    """

    check: str
    severity: Severity
    frames: tuple[int, ...]
    track_ids: tuple[str, ...]
    value: float
    threshold: float
    message: str


def has_blocking(findings: Iterable[Finding]) -> bool:
    """True when any finding blocks acceptance."""
    return any(f.severity == "blocking" for f in findings)


def frame_span(frames: tuple[int, ...]) -> str:
    """Frames as an annotator reads them: "frame 4", "frames 4-9" or "frames 4, 7 and 9"."""
    if len(frames) == 1:
        return f"frame {frames[0]}"
    if list(frames) == list(range(frames[0], frames[0] + len(frames))):
        return f"frames {frames[0]}-{frames[-1]}"
    if len(frames) > 6:
        return f"{len(frames)} frames between {frames[0]} and {frames[-1]}"
    head = ", ".join(str(f) for f in frames[:-1])
    return f"frames {head} and {frames[-1]}"


def continued(message: str, frames: tuple[int, ...]) -> str:
    """``message`` about the worst frame, noting the run of frames it belongs to."""
    if len(frames) < 2:
        return message
    return f"{message} The same problem continues over {frame_span(frames)}."
