"""Offline multi-object tracking within one segment: constant-velocity Kalman + Hungarian.

A segment is known in full when it is pre-labelled, so tracking is offline: tracks too short to
be real are dropped afterwards and short gaps (missed detections) are filled by interpolation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from roadlabel.labels import Box3D, FrameLabels, wrap_yaw
from workers.tracking.kalman import ConstantVelocityFilter

_INFEASIBLE = 1e6
LABEL_RANGE_M = 50.0  # objects are labelled within this BEV range of the ego (by default)
RANGE_MARGIN_M = 2.0  # a box this far beyond may still mark an object inside (match tolerance)
EXTENDED = "extended"  # attribute ("true") of a box the tracker carried on past a track's end


@dataclass(frozen=True)
class TrackerConfig:
    """Association gate, track life and clean-up rules."""

    # Defaults chosen on validation seeds 50000.. (loadtests/bench_prelabel.py --first-seed):
    # a wider gate, longer coasting and a shorter minimum track cut simulated effort 3 %;
    # carrying tracks on 2 frames past their ends cut it 3 % more (1 frame: 2.7 %, 5: 1.4 %).
    # Once boxes beyond the labelling range were no longer emitted, coasting 3 frames instead
    # of 5 cut it 0.3-0.6 % more (false tracks end sooner).
    gate_m: float = 3.0  # BEV distance allowed between prediction and detection, at 0 m range
    gate_per_m: float = 0.06  # extra gate per metre of range (depth error grows with range)
    max_age: int = 3  # frames a track may go unseen before it ends
    min_hits: int = 2  # tracks with fewer detections are dropped as false positives
    fill_gaps: bool = True
    smooth: bool = True  # one size per track, centres fitted over time, yaw flips fixed
    smooth_degree: int = 1  # a segment is ~2 s: straight-line motion fits best
    extend: int = 2  # frames a track is carried on past its first and last detection
    # Boxes are emitted only within this BEV range of the ego (None: all). Annotators label
    # objects within the labelling range (metrics.EVAL_RANGE_M); a pre-label further out is one
    # more box to delete. The margin keeps a box whose object may lie inside the range. Tracks
    # still form on every detection, so one entering the range keeps its id.
    emit_range_m: float | None = LABEL_RANGE_M + RANGE_MARGIN_M
    prefix: str = "T"


@dataclass
class _Track:
    track_id: str
    category: str
    kf: ConstantVelocityFilter
    boxes: dict[int, Box3D] = field(default_factory=dict)
    misses: int = 0


def track_frames(frames: Sequence[FrameLabels], cfg: TrackerConfig | None = None
                 ) -> list[FrameLabels]:
    """Assign track ids to the boxes of consecutive frames; returns new FrameLabels."""
    cfg = cfg or TrackerConfig()
    ids = (f"{cfg.prefix}{n:04d}" for n in itertools.count())
    active: list[_Track] = []
    finished: list[_Track] = []
    for pos, frame in enumerate(frames):
        dt = frame.timestamp_s - frames[pos - 1].timestamp_s if pos else 0.0
        predicted = [t.kf.predict(dt if dt > 0 else None) for t in active]
        pairs = associate(predicted, [t.category for t in active], frame.boxes, cfg)
        matched_dets = {di for _ti, di in pairs}
        matched_tracks = {ti for ti, _di in pairs}
        for ti, di in pairs:
            box = frame.boxes[di]
            active[ti].kf.update(np.array([box.x, box.y, box.z]))
            active[ti].boxes[pos] = box
            active[ti].misses = 0
        still: list[_Track] = []
        for ti, track in enumerate(active):
            if ti not in matched_tracks:
                track.misses += 1
            (still if track.misses <= cfg.max_age else finished).append(track)
        for di, box in enumerate(frame.boxes):
            if di not in matched_dets:
                track = _Track(next(ids), box.category,
                               ConstantVelocityFilter(np.array([box.x, box.y, box.z])))
                track.boxes[pos] = box
                still.append(track)
        active = still
    tracks = finished + active
    min_hits = min(cfg.min_hits, len(frames))
    kept = [t for t in tracks if len(t.boxes) >= min_hits]
    return _emit(frames, kept, cfg)


def associate(predicted: Sequence[np.ndarray], categories: Sequence[str],
              boxes: Sequence[Box3D], cfg: TrackerConfig) -> list[tuple[int, int]]:
    """(track index, box index) pairs by Hungarian on BEV distance, gated, same category."""
    if not predicted or not boxes:
        return []
    cost = np.full((len(predicted), len(boxes)), _INFEASIBLE)
    for i, (centre, cat) in enumerate(zip(predicted, categories, strict=True)):
        for j, box in enumerate(boxes):
            dist = float(np.hypot(centre[0] - box.x, centre[1] - box.y))
            gate = cfg.gate_m + cfg.gate_per_m * float(np.hypot(box.x, box.y))
            if box.category == cat and dist <= gate:
                cost[i, j] = dist
    rows, cols = linear_sum_assignment(cost)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True)
            if cost[r, c] < _INFEASIBLE]


def _emit(frames: Sequence[FrameLabels], tracks: list[_Track], cfg: TrackerConfig
          ) -> list[FrameLabels]:
    per_frame: list[list[Box3D]] = [[] for _ in frames]
    for track in tracks:
        boxes = dict(track.boxes)
        if cfg.fill_gaps:
            boxes.update(_interpolate(boxes, cfg.max_age))
        if cfg.smooth:
            boxes = smooth_track(boxes, frames, cfg.smooth_degree)
        if cfg.extend:
            boxes.update(extend_track(boxes, frames, cfg.extend))
        mean_score = float(np.mean([b.score for b in track.boxes.values()]))
        for pos, box in boxes.items():
            if cfg.emit_range_m is not None and math.hypot(box.x, box.y) > cfg.emit_range_m:
                continue
            score = 0.5 * box.score + 0.5 * mean_score
            per_frame[pos].append(replace(box, track_id=track.track_id, score=score))
    return [replace(f, boxes=tuple(b)) for f, b in zip(frames, per_frame, strict=True)]


def _interpolate(boxes: dict[int, Box3D], max_gap: int) -> dict[int, Box3D]:
    """Boxes for missing frames between two detections at most max_gap frames apart."""
    out: dict[int, Box3D] = {}
    seen = sorted(boxes)
    for a, b in itertools.pairwise(seen):
        if not 1 < b - a <= max_gap + 1:
            continue
        ba, bb = boxes[a], boxes[b]
        for pos in range(a + 1, b):
            w = (pos - a) / (b - a)
            dyaw = wrap_yaw(bb.yaw - ba.yaw)
            out[pos] = replace(
                ba, x=_lerp(ba.x, bb.x, w), y=_lerp(ba.y, bb.y, w), z=_lerp(ba.z, bb.z, w),
                length=_lerp(ba.length, bb.length, w), width=_lerp(ba.width, bb.width, w),
                height=_lerp(ba.height, bb.height, w), yaw=wrap_yaw(ba.yaw + w * dyaw),
                score=min(ba.score, bb.score) * 0.9,
                attributes={**ba.attributes, "interpolated": "true"},
            )
    return out


def smooth_track(boxes: dict[int, Box3D], frames: Sequence[FrameLabels],
                 degree: int) -> dict[int, Box3D]:
    """Offline smoothing of one track: rigid size, centres fitted over time, yaw flips fixed.

    An object keeps its size, so the median over the track replaces per-frame sizes; centres
    follow a low-order polynomial in time over a segment, which averages out per-frame depth
    noise; a yaw pointing against the track's mean heading is a front/back confusion.
    """
    if len(boxes) < 3:
        return boxes
    pos = sorted(boxes)
    seq = [boxes[p] for p in pos]
    times = _times(frames)
    t = np.array([times[p] for p in pos])
    deg = min(degree, len(pos) - 2)
    fx = np.polyval(np.polyfit(t, [b.x for b in seq], deg), t)
    fy = np.polyval(np.polyfit(t, [b.y for b in seq], deg), t)
    size = [float(np.median([getattr(b, k) for b in seq])) for k in ("length", "width", "height")]
    z = float(np.median([b.z for b in seq]))
    mean_yaw = math.atan2(sum(math.sin(b.yaw) for b in seq), sum(math.cos(b.yaw) for b in seq))
    out = {}
    for p, b, x, y in zip(pos, seq, fx, fy, strict=True):
        yaw = b.yaw if abs(wrap_yaw(b.yaw - mean_yaw)) <= math.pi / 2 else wrap_yaw(b.yaw + math.pi)
        out[p] = replace(b, x=float(x), y=float(y), z=z, length=size[0], width=size[1],
                         height=size[2], yaw=yaw)
    return out


def extend_track(boxes: dict[int, Box3D], frames: Sequence[FrameLabels],
                 n: int) -> dict[int, Box3D]:
    """Boxes for up to n frames before a track's first and after its last box.

    A detector fires late on an object coming into view and stops early on one leaving it;
    the object is still there. Carrying the track on along its fitted straight-line motion
    turns a box the annotator would draw (23 s) into one to adjust or, when wrong, delete (2 s).
    """
    if len(boxes) < 2:
        return {}
    pos = sorted(boxes)
    times = _times(frames)
    t = np.array([times[p] for p in pos])
    vx = np.polyfit(t, [boxes[p].x for p in pos], 1)
    vy = np.polyfit(t, [boxes[p].y for p in pos], 1)
    out = {}
    before = range(max(0, pos[0] - n), pos[0])
    after = range(pos[-1] + 1, min(len(frames), pos[-1] + 1 + n))
    for p, edge in [(p, boxes[pos[0]]) for p in before] + [(p, boxes[pos[-1]]) for p in after]:
        out[p] = replace(edge, x=float(np.polyval(vx, times[p])), y=float(np.polyval(vy, times[p])),
                         score=edge.score * 0.8, attributes={**edge.attributes, EXTENDED: "true"})
    return out


def _times(frames: Sequence[FrameLabels]) -> list[float]:
    return [f.timestamp_s if f.timestamp_s else i * 0.1 for i, f in enumerate(frames)]


def _lerp(a: float, b: float, w: float) -> float:
    return a + (b - a) * w
