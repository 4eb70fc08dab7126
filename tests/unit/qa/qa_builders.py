"""Tiny label-document builders for the qa unit tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa import Finding
from roadlabel.labels import Box3D, FrameLabels, LabelDocument, Lane

Frames = list[list[Box3D]]
SIZES = {"car": (4.5, 1.9, 1.6), "pedestrian": (0.6, 0.6, 1.75), "truck": (8.0, 2.5, 3.2)}


def box(
    tid: str, x: float = 0.0, y: float = 0.0, *, cat: str = "car", yaw: float = 0.0,
    z: float | None = None, size: tuple[float, float, float] | None = None,
) -> Box3D:
    """A box standing on the ground (bottom at z = 0) unless ``z`` says otherwise."""
    length, width, height = size or SIZES[cat]
    return Box3D(tid, cat, x, y, height / 2 if z is None else z, length, width, height, yaw)


def lane(lid: str, y: float = 0.0, *, xs: Sequence[float] = (0, 10, 20, 30, 40)) -> Lane:
    """A straight lane marking along x at lateral offset y."""
    return Lane(lid, "solid", "white", tuple((float(x), float(y), 0.0) for x in xs))


def lane_pts(lid: str, pts: Sequence[tuple[float, float]]) -> Lane:
    """A lane marking through the given (x, y) points."""
    return Lane(lid, "solid", "white", tuple((float(x), float(y), 0.0) for x, y in pts))


def document(
    frames: Sequence[Sequence[Box3D]], *, dt: float | Sequence[float] = 0.1,
    lanes: Sequence[Sequence[Lane]] | None = None,
) -> LabelDocument:
    """A document with one entry of ``frames`` per frame; dt may vary per step."""
    n = len(frames) if frames else len(lanes or [])
    steps = [dt] * (n - 1) if isinstance(dt, float | int) else list(dt)
    stamps = np.concatenate([[0.0], np.cumsum(steps)]) if n else np.zeros(0)
    out = []
    for i in range(n):
        boxes = tuple(frames[i]) if frames else ()
        fl = tuple(lanes[i]) if lanes else ()
        out.append(FrameLabels(i, float(stamps[i]), boxes, fl))
    return LabelDocument("seq-test", 0, tuple(out))


def track(
    tid: str, xs: Sequence[float], ys: Sequence[float] | float = 0.0, *, cat: str = "car",
    yaws: Sequence[float] | float = 0.0,
) -> list[Box3D]:
    """One box per frame along the given positions."""
    ys_ = [ys] * len(xs) if isinstance(ys, float | int) else list(ys)
    yaws_ = [yaws] * len(xs) if isinstance(yaws, float | int) else list(yaws)
    return [box(tid, x, y, cat=cat, yaw=w) for x, y, w in zip(xs, ys_, yaws_, strict=True)]


def frames_of(*tracks: Sequence[Box3D | None]) -> Frames:
    """Transpose per-track box lists (None = missing) into per-frame lists."""
    n = max(len(t) for t in tracks)
    out: Frames = []
    for i in range(n):
        out.append([b for t in tracks if i < len(t) and (b := t[i]) is not None])
    return out


def static_ego(doc: LabelDocument) -> np.ndarray:
    """Ego poses of a parked ego vehicle: class limits apply without ego allowances."""
    return np.zeros((len(doc.frames), 3))


def checks_of(findings: Sequence[Finding]) -> set[str]:
    """The names of the checks that fired."""
    return {f.check for f in findings}


def only(findings: Sequence[Finding], check: str) -> list[Finding]:
    """The findings of one check."""
    return [f for f in findings if f.check == check]
