"""Tracker: ids stay stable along a track, short misses are bridged, false blips dropped."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from roadlabel.labels import Box3D, FrameLabels
from workers.synth import generate_sequence
from workers.tracking import EXTENDED, TrackerConfig, track_frames


def _box(x: float, y: float, vx: float, t: float, category: str = "car") -> Box3D:
    return Box3D("det", category, x + vx * t, y, 0.8, 4.5, 1.8, 1.5, 0.0, 0.9)


def test_two_parallel_cars_keep_their_ids_through_a_missed_frame() -> None:
    frames = []
    for i in range(12):
        t = i * 0.1
        boxes = [_box(10.0, 0.0, 5.0, t), _box(12.0, 3.5, -8.0, t)]
        if i == 5:
            boxes = boxes[1:]  # the first car is missed once
        frames.append(FrameLabels(i, t, tuple(boxes)))
    out = track_frames(frames)
    ids_by_lane = defaultdict(set)
    for f in out:
        for b in f.boxes:
            ids_by_lane[round(b.y)].add(b.track_id)
    assert ids_by_lane[0] != ids_by_lane[4]
    assert len(ids_by_lane[0]) == 1 and len(ids_by_lane[4]) == 1
    filled = [b for b in out[5].boxes if b.y == 0.0]
    assert len(filled) == 1 and filled[0].attributes["interpolated"] == "true"
    assert abs(filled[0].x - (10.0 + 5.0 * 0.5)) < 1e-6


def test_a_one_frame_false_positive_is_dropped() -> None:
    frames = [FrameLabels(i, i * 0.1, (_box(10.0, 0.0, 5.0, i * 0.1),)) for i in range(8)]
    blip = Box3D("det", "pedestrian", 20.0, -6.0, 0.9, 0.6, 0.6, 1.7, 0.0, 0.4)
    frames[3] = FrameLabels(3, 0.3, (*frames[3].boxes, blip))
    out = track_frames(frames)
    assert all(b.category == "car" for f in out for b in f.boxes)
    assert len({b.track_id for f in out for b in f.boxes}) == 1


def test_synthetic_sequence_tracks_without_id_switches(as_detections: Callable[..., Any]) -> None:
    seq = generate_sequence(21, n_frames=30)
    dets, truth = as_detections(seq.document, seed=1)
    out = track_frames(dets, TrackerConfig(smooth=False))  # keep boxes as detected
    true_to_ids: dict[str, set[str]] = defaultdict(set)
    for f_in, f_out in zip(dets, out, strict=True):
        for k, det in enumerate(f_in.boxes):
            match = [b for b in f_out.boxes if (b.x, b.y) == (det.x, det.y)]
            if match:
                true_to_ids[truth[(f_in.frame_index, k)]].add(match[0].track_id)
    assert len(true_to_ids) >= 3
    assert all(len(ids) == 1 for ids in true_to_ids.values()), true_to_ids
    owners = [next(iter(ids)) for ids in true_to_ids.values()]
    assert len(owners) == len(set(owners))  # no two objects share a track


def test_smoothing_gives_one_size_per_track_and_reduces_depth_noise() -> None:
    rng = np.random.default_rng(0)
    truth = [10.0 + 1.0 * i for i in range(15)]  # 10 m/s, 0.1 s frames
    frames = []
    for i, x in enumerate(truth):
        b = Box3D("det", "car", x + rng.normal(0, 0.6), 0.0, 0.8, 4.5 + rng.normal(0, 0.3),
                  1.8, 1.5, math.pi if i == 7 else 0.0, 0.9)  # one front/back flip
        frames.append(FrameLabels(i, i * 0.1, (b,)))
    raw = track_frames(frames, TrackerConfig(smooth=False))
    smooth = track_frames(frames)
    err_raw = np.mean([abs(f.boxes[0].x - x) for f, x in zip(raw, truth, strict=True)])
    err_smooth = np.mean([abs(f.boxes[0].x - x) for f, x in zip(smooth, truth, strict=True)])
    assert err_smooth < 0.7 * err_raw
    assert len({f.boxes[0].length for f in smooth}) == 1
    assert all(abs(f.boxes[0].yaw) < 1e-9 for f in smooth)


def test_a_track_is_carried_on_two_frames_past_its_ends_along_its_motion() -> None:
    frames = [FrameLabels(i, i * 0.1, (_box(10.0, 0.0, 5.0, i * 0.1),) if 3 <= i <= 8 else ())
              for i in range(12)]
    out = track_frames(frames)
    carried = {f.frame_index: f.boxes[0] for f in out if f.boxes}
    assert sorted(carried) == list(range(1, 11))
    for i in (1, 2, 9, 10):
        assert carried[i].attributes[EXTENDED] == "true"
        assert abs(carried[i].x - (10.0 + 5.0 * i * 0.1)) < 1e-6
        assert carried[i].score < carried[5].score
    assert len({b.track_id for b in carried.values()}) == 1
    plain = track_frames(frames, TrackerConfig(extend=0))
    assert [f.frame_index for f in plain if f.boxes] == list(range(3, 9))


def test_carrying_on_stops_at_the_segment_ends() -> None:
    frames = [FrameLabels(i, i * 0.1, (_box(10.0, 0.0, 5.0, i * 0.1),) if 1 <= i <= 10 else ())
              for i in range(12)]
    out = track_frames(frames)
    assert [f.frame_index for f in out if f.boxes] == list(range(12))


def test_boxes_beyond_the_labelling_range_are_not_emitted_but_keep_their_track() -> None:
    # A car closing in from 60 m at 20 m/s: tracked from its first detection, emitted only
    # once within emit_range_m, under the id its track had out there.
    frames = [FrameLabels(i, i * 0.1, (_box(60.0, 0.0, -20.0, i * 0.1),)) for i in range(10)]
    out = track_frames(frames, TrackerConfig(smooth=False, extend=0, emit_range_m=52.0))
    emitted = [f.boxes[0].x for f in out if f.boxes]
    assert emitted == [b.boxes[0].x for b in frames if b.boxes[0].x <= 52.0]
    assert len(emitted) == 6  # 52, 50, ... 42 m
    everything = track_frames(frames, TrackerConfig(smooth=False, extend=0, emit_range_m=None))
    assert all(len(f.boxes) == 1 for f in everything)
    ids = {b.track_id for f in everything for b in f.boxes}
    assert {b.track_id for f in out for b in f.boxes} == ids and len(ids) == 1
