"""Lanes across frames: ids follow lateral offset; smoothing averages noise and fills gaps;
type and colour are voted per lane."""

from __future__ import annotations

import numpy as np

from roadlabel.labels import FrameLabels, Lane
from workers.tracking import assign_lane_ids, lateral_offset, smooth_lanes, vote_lane_attributes


def _lane(y: float, slope: float = 0.0, lid: str = "x") -> Lane:
    pts = tuple((float(x), y + slope * x, 0.0) for x in range(5, 41, 5))
    return Lane(lid, "dashed", "white", pts, tuple((float(x), 0.0) for x in range(8)))


def test_lateral_offset_interpolates_and_extrapolates() -> None:
    assert lateral_offset(_lane(1.0, 0.1)) == 1.0 + 0.1 * 12.0
    far = Lane("f", "solid", "white", ((20.0, 3.0, 0.0), (30.0, 4.0, 0.0)))
    assert abs(lateral_offset(far) - 2.2) < 1e-9  # extrapolated back to 12 m


def test_lane_ids_follow_lateral_offset_and_new_lanes_get_new_ids() -> None:
    frames = [FrameLabels(0, 0.0, (), (_lane(1.7), _lane(-1.8))),
              FrameLabels(1, 0.1, (), (_lane(-1.7), _lane(1.8), _lane(5.3))),
              FrameLabels(2, 0.2, (), (_lane(1.6),))]
    out = assign_lane_ids(frames)
    ids = [{round(lateral_offset(x)): x.lane_id for x in f.lanes} for f in out]
    assert ids[0][2] == ids[1][2] == ids[2][2]
    assert ids[0][-2] == ids[1][-2]
    assert ids[1][5] not in ids[0].values()


def test_smoothing_reduces_noise_and_fills_a_missed_frame() -> None:
    rng = np.random.default_rng(0)
    noisy = [_lane(1.75 + rng.normal(0, 0.15), lid="L0") for _ in range(9)]
    frames = [FrameLabels(i, i * 0.1, (), (lane,) if i != 4 else ()) for i, lane in
              enumerate(noisy)]
    out = smooth_lanes(frames, window=2, reproject=lambda p: p[:, :2] * 10.0)
    assert all(len(f.lanes) == 1 for f in out)  # frame 4 filled from its neighbours
    raw_err = np.mean([abs(lateral_offset(x) - 1.75) for x in noisy])
    smooth_err = np.mean([abs(lateral_offset(f.lanes[0]) - 1.75) for f in out])
    assert smooth_err < 0.75 * raw_err
    lane = out[3].lanes[0]
    assert np.allclose(np.asarray(lane.points_image), np.asarray(lane.points_ego)[:, :2] * 10.0)


def test_type_and_colour_are_voted_per_lane_weighted_by_score() -> None:
    def lane(lid: str, lane_type: str, color: str, score: float) -> Lane:
        return Lane(lid, lane_type, color, ((5.0, 0.0, 0.0), (30.0, 0.0, 0.0)), (), score)

    frames = [FrameLabels(0, 0.0, (), (lane("L0", "dashed", "white", 0.9),
                                        lane("L1", "solid", "yellow", 0.9))),
              FrameLabels(1, 0.1, (), (lane("L0", "solid", "yellow", 0.6),
                                        lane("L1", "double_solid", "yellow", 0.95))),
              FrameLabels(2, 0.2, (), (lane("L0", "dashed", "yellow", 0.8),))]
    out = vote_lane_attributes(frames)
    l0 = [x for f in out for x in f.lanes if x.lane_id == "L0"]
    assert {(x.lane_type, x.color) for x in l0} == {("dashed", "yellow")}  # 1.7 vs 0.6; 1.4 vs 0.9
    l1 = [x for f in out for x in f.lanes if x.lane_id == "L1"]
    assert {x.lane_type for x in l1} == {"double_solid"}  # the single stronger reading wins
    assert [x.score for x in l0] == [0.9, 0.6, 0.8]  # scores and geometry untouched
