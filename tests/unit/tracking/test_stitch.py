"""Stitching: segment-local ids become one sequence-wide id per object across segments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from roadlabel.labels import LabelDocument
from roadlabel.segments import plan_segments
from workers.synth import generate_sequence
from workers.tracking import TrackerConfig, assign_lane_ids, stitch_segments, track_frames


def test_ids_are_stable_across_segment_boundaries(as_detections: Callable[..., Any]) -> None:
    seq = generate_sequence(33, n_frames=40)
    dets, truth = as_detections(seq.document, seed=2, drop=0.0)
    docs = []
    for n, (start, end) in enumerate(plan_segments(40, 16, 4)):
        frames = track_frames(dets[start:end], TrackerConfig(smooth=False))
        frames = assign_lane_ids(frames, prefix=f"seg{n}-")
        docs.append(LabelDocument("synth-33", start, tuple(frames)))
    stitched = stitch_segments(docs[::-1], overlap=4)  # order of arrival must not matter
    assert [d.first_frame for d in stitched] == [0, 12, 24]
    true_to_ids: dict[str, set[str]] = defaultdict(set)
    for doc in stitched:
        for f in doc.frames:
            src = dets[f.frame_index]
            for k, det in enumerate(src.boxes):
                match = [b for b in f.boxes if (b.x, b.y) == (det.x, det.y)]
                if match:
                    true_to_ids[truth[(f.frame_index, k)]].add(match[0].track_id)
    crossing = [t for t, ids in true_to_ids.items() if ids]
    assert len(crossing) >= 3
    assert all(len(true_to_ids[t]) == 1 for t in crossing), true_to_ids
    lane_ids = {lane.lane_id for d in stitched for f in d.frames for lane in f.lanes}
    true_lanes = {lane.lane_id for f in seq.document.frames for lane in f.lanes}
    assert len(lane_ids) == len(true_lanes)


def test_unmatched_tracks_get_fresh_ids(as_detections: Callable[..., Any]) -> None:
    seq = generate_sequence(34, n_frames=20)
    dets, _truth = as_detections(seq.document, seed=3, drop=0.0)
    a = LabelDocument("s", 0, tuple(track_frames(dets[:10])))
    b = LabelDocument("s", 10, tuple(track_frames(dets[10:])))  # no overlap at all
    first, second = stitch_segments([a, b], overlap=0)
    ids_a = {x.track_id for f in first.frames for x in f.boxes}
    ids_b = {x.track_id for f in second.frames for x in f.boxes}
    assert ids_a and ids_b and not ids_a & ids_b
