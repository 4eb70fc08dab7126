"""Sequence-wide ids: stitching segment-local track and lane ids through overlap frames.

Neighbouring segments share `overlap` frames. A local track of the later segment takes the
sequence-wide id of the earlier segment's track whose boxes lie closest to its own in those
frames (Hungarian on mean BEV distance, gated, same category); otherwise it gets a new id.
Lanes are stitched the same way by their lateral offset.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import numpy as np
from scipy.optimize import linear_sum_assignment

from roadlabel.labels import Box3D, FrameLabels, LabelDocument, Lane
from workers.tracking.lanes import lateral_offset

MAX_BOX_DISTANCE_M = 1.5
MAX_LANE_SHIFT_M = 0.8

# Per item in one frame: (local id, category or lane kind, position used for matching)
_Keyed = dict[str, tuple[str, np.ndarray]]


def stitch_segments(docs: Sequence[LabelDocument], overlap: int,
                    max_box_distance_m: float = MAX_BOX_DISTANCE_M,
                    max_lane_shift_m: float = MAX_LANE_SHIFT_M) -> list[LabelDocument]:
    """Rewrite segment-local track and lane ids to sequence-wide ids, segment by segment."""
    ordered = sorted(docs, key=lambda d: d.first_frame)
    box_ids = (f"T{n:05d}" for n in itertools.count())
    lane_ids = (f"L{n:04d}" for n in itertools.count())
    out: list[LabelDocument] = []
    for doc in ordered:
        shared = _overlap_frames(out[-1], doc, overlap) if out else []
        prev = out[-1] if out else None
        box_map = _match(_box_items(prev, shared), _box_items(doc, shared), max_box_distance_m)
        lane_map = _match(_lane_items(prev, shared), _lane_items(doc, shared), max_lane_shift_m)
        out.append(_rename(doc, _complete(box_map, _local_box_ids(doc), box_ids),
                           _complete(lane_map, _local_lane_ids(doc), lane_ids)))
    return out


def _overlap_frames(prev: LabelDocument, cur: LabelDocument, overlap: int) -> list[int]:
    shared = sorted(set(prev.frame_indices) & set(cur.frame_indices))
    return shared[-overlap:] if overlap > 0 else []


def _box_items(doc: LabelDocument | None, frames: list[int]) -> dict[int, _Keyed]:
    return _items(doc, frames, lambda f: {
        b.track_id: (b.category, np.array([b.x, b.y])) for b in f.boxes})


def _lane_items(doc: LabelDocument | None, frames: list[int]) -> dict[int, _Keyed]:
    return _items(doc, frames, lambda f: {
        lane.lane_id: ("lane", np.array([lateral_offset(lane)])) for lane in f.lanes})


def _items(doc: LabelDocument | None, frames: list[int],
           fn: Callable[[FrameLabels], _Keyed]) -> dict[int, _Keyed]:
    if doc is None:
        return {}
    wanted = set(frames)
    return {f.frame_index: fn(f) for f in doc.frames if f.frame_index in wanted}


def _match(prev: dict[int, _Keyed], cur: dict[int, _Keyed], gate: float) -> dict[str, str]:
    """Local id (cur) -> id in prev whose positions are closest on average over shared frames."""
    dists: dict[tuple[str, str], list[float]] = defaultdict(list)
    for frame, items in cur.items():
        for cid, (ckind, cpos) in items.items():
            for pid, (pkind, ppos) in prev.get(frame, {}).items():
                if ckind == pkind:
                    dists[(cid, pid)].append(float(np.linalg.norm(cpos - ppos)))
    if not dists:
        return {}
    cids = sorted({c for c, _p in dists})
    pids = sorted({p for _c, p in dists})
    cost = np.full((len(cids), len(pids)), 1e6)
    for (c, p), values in dists.items():
        cost[cids.index(c), pids.index(p)] = float(np.mean(values))
    rows, cols = linear_sum_assignment(cost)
    return {cids[r]: pids[c] for r, c in zip(rows, cols, strict=True) if cost[r, c] <= gate}


def _complete(mapping: dict[str, str], local: Iterator[str], fresh: Iterator[str]
              ) -> dict[str, str]:
    out = dict(mapping)
    for lid in local:
        if lid not in out:
            out[lid] = next(fresh)
    return out


def _local_box_ids(doc: LabelDocument) -> Iterator[str]:
    """Local track ids in order of first appearance (stable numbering)."""
    return iter(dict.fromkeys(b.track_id for f in doc.frames for b in f.boxes))


def _local_lane_ids(doc: LabelDocument) -> Iterator[str]:
    return iter(dict.fromkeys(lane.lane_id for f in doc.frames for lane in f.lanes))


def _rename(doc: LabelDocument, boxes: dict[str, str], lanes: dict[str, str]) -> LabelDocument:
    frames = tuple(
        replace(f, boxes=tuple(_box(b, boxes) for b in f.boxes),
                lanes=tuple(_lane(lane, lanes) for lane in f.lanes))
        for f in doc.frames
    )
    return replace(doc, frames=frames)


def _box(box: Box3D, ids: dict[str, str]) -> Box3D:
    return replace(box, track_id=ids[box.track_id])


def _lane(lane: Lane, ids: dict[str, str]) -> Lane:
    return replace(lane, lane_id=ids[lane.lane_id])
