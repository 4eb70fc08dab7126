"""Lane identity across frames: lanes keep their id while their lateral offset stays put."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from roadlabel.labels import FrameLabels, Lane

PROBE_X_M = 12.0  # lanes are compared by their lateral offset at this distance ahead
MAX_SHIFT_M = 1.2  # a lane moves less than this sideways between consecutive frames


def lateral_offset(lane: Lane, probe_x: float = PROBE_X_M) -> float:
    """The lane's y (ego, metres) at `probe_x`, extrapolated linearly from its end points."""
    pts = np.asarray(lane.points_ego, dtype=np.float64)[:, :2]
    if len(pts) == 1:
        return float(pts[0, 1])
    order = np.argsort(pts[:, 0])
    x, y = pts[order, 0], pts[order, 1]
    if x[0] <= probe_x <= x[-1]:
        return float(np.interp(probe_x, x, y))
    i, j = (0, 1) if probe_x < x[0] else (-2, -1)
    dx = x[j] - x[i]
    slope = (y[j] - y[i]) / dx if abs(dx) > 1e-6 else 0.0
    return float(y[i] + slope * (probe_x - x[i]))


def match_lanes(prev: Sequence[float], cur: Sequence[float],
                max_shift: float = MAX_SHIFT_M) -> dict[int, int]:
    """Index map cur -> prev of lanes whose lateral offsets are within max_shift (Hungarian)."""
    if not prev or not cur:
        return {}
    cost = np.abs(np.subtract.outer(np.asarray(cur), np.asarray(prev)))
    rows, cols = linear_sum_assignment(cost)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if cost[r, c] <= max_shift}


def assign_lane_ids(frames: Sequence[FrameLabels], prefix: str = "L") -> list[FrameLabels]:
    """Give lanes ids that persist across frames (matched by lateral offset frame to frame)."""
    counter = itertools.count()
    prev_offsets: list[float] = []
    prev_ids: list[str] = []
    out = []
    for frame in frames:
        offsets = [lateral_offset(lane) for lane in frame.lanes]
        matches = match_lanes(prev_offsets, offsets)
        ids = [prev_ids[matches[i]] if i in matches else f"{prefix}{next(counter):03d}"
               for i in range(len(offsets))]
        lanes = tuple(replace(lane, lane_id=lid) for lane, lid in zip(frame.lanes, ids,
                                                                       strict=True))
        out.append(replace(frame, lanes=lanes))
        prev_offsets, prev_ids = offsets, ids
    return out


def vote_lane_attributes(frames: Sequence[FrameLabels]) -> list[FrameLabels]:
    """One type and one colour per lane id: score-weighted majorities over its frames.

    A painted line keeps its type and colour along a segment, so a frame that reads a dashed
    line as solid (a gap between dashes falling between row anchors) is outvoted.
    """
    types: dict[str, dict[str, float]] = {}
    colors: dict[str, dict[str, float]] = {}
    for frame in frames:
        for lane in frame.lanes:
            t, c = types.setdefault(lane.lane_id, {}), colors.setdefault(lane.lane_id, {})
            t[lane.lane_type] = t.get(lane.lane_type, 0.0) + lane.score
            c[lane.color] = c.get(lane.color, 0.0) + lane.score
    return [replace(f, lanes=tuple(
                replace(lane, lane_type=_heaviest(types[lane.lane_id]),
                        color=_heaviest(colors[lane.lane_id])) for lane in f.lanes))
            for f in frames]


def _heaviest(weights: dict[str, float]) -> str:
    return max(weights, key=lambda k: weights[k])


def smooth_lanes(frames: Sequence[FrameLabels], window: int = 1,
                 reproject: Callable[[np.ndarray], np.ndarray] | None = None
                 ) -> list[FrameLabels]:
    """Average each lane (by id) with itself in the `window` frames either side; fill 1-gaps.

    Lanes barely move in the ego frame between neighbouring frames, so averaging removes
    per-frame noise. Ego points change; `reproject` maps (N, 3) ego points to (N, 2) pixels
    so the image polyline stays the projection of the 3D one (left as is without it).
    """
    by_id = [{lane.lane_id: lane for lane in f.lanes} for f in frames]
    out = []
    for k, frame in enumerate(frames):
        lanes = dict(by_id[k])
        if 0 < k < len(frames) - 1:  # a lane seen before and after but missed here
            for lid in by_id[k - 1].keys() & by_id[k + 1].keys() - lanes.keys():
                prev = by_id[k - 1][lid]
                lanes[lid] = replace(prev, score=min(prev.score, by_id[k + 1][lid].score) * 0.9)
        near = by_id[max(0, k - window): k + window + 1]
        smoothed = tuple(_average(lane, [d[lid] for d in near if lid in d], reproject)
                         for lid, lane in sorted(lanes.items()))
        out.append(replace(frame, lanes=smoothed))
    return out


def _average(lane: Lane, neighbours: list[Lane],
             reproject: Callable[[np.ndarray], np.ndarray] | None) -> Lane:
    pts = np.asarray(lane.points_ego, dtype=np.float64)
    if len(pts) < 2 or not neighbours:
        return lane
    ys, counts = np.zeros(len(pts)), np.zeros(len(pts))
    for other in neighbours:
        q = np.asarray(other.points_ego, dtype=np.float64)
        q = q[np.argsort(q[:, 0])]
        inside = (pts[:, 0] >= q[0, 0]) & (pts[:, 0] <= q[-1, 0])
        ys[inside] += np.interp(pts[inside, 0], q[:, 0], q[:, 1])
        counts[inside] += 1
    new = pts.copy()
    ok = counts > 0
    new[ok, 1] = ys[ok] / counts[ok]
    image = lane.points_image
    if reproject is not None:
        image = tuple((float(u), float(v)) for u, v in reproject(new))
    return replace(lane, points_ego=tuple((float(x), float(y), float(z)) for x, y, z in new),
                   points_image=image)
