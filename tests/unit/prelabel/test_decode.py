"""Decoding contract outputs into ego-frame boxes and lanes, and its inverse (targets)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from roadlabel.labels import LANE_COLORS, LANE_TYPES, FrameLabels
from workers.prelabel.camera import mounted_calibration, scale_calibration
from workers.prelabel.contract import ModelSpec
from workers.prelabel.decode import decode_boxes, decode_lanes, peaks, to_image_side
from workers.prelabel.metrics import LANE_MATCH_M, lane_distance
from workers.prelabel.targets import encode_frame, encode_lanes, lane_slots
from workers.synth import SceneConfig, generate_sequence, make_scene
from workers.synth.groundtruth import lane_labels
from workers.tracking.lanes import lateral_offset

SPEC = ModelSpec(96, 160, 12, 20, ("car", "pedestrian", "cyclist"), 6,
                 tuple(np.linspace(0.55, 0.98, 12).round(4)), "test@sha256:0")
CAL_IN = mounted_calibration(160, 96, 60.0, 1.5, 0.0)


def test_hand_made_peak_decodes_to_the_ego_box() -> None:
    heat = np.zeros((3, 12, 20), np.float32)
    heat[0, 6, 10] = 0.9
    heat[0, 6, 11] = 0.5  # a neighbour of the peak: suppressed
    reg = np.zeros((8, 12, 20), np.float32)
    reg[:, 6, 10] = (0.25, -0.25, math.log(20.0), math.log(4.5), math.log(1.8), math.log(1.5),
                     0.0, 1.0)
    (box,) = decode_boxes(heat, reg, SPEC, CAL_IN, threshold=0.3, max_boxes=10)
    fx = 80.0 / math.tan(math.radians(30.0))
    # pixel (86, 50) at depth 20 m; camera 1.5 m above the ego origin, looking along +x.
    assert box.category == "car"
    assert box.score == pytest.approx(0.9)
    assert box.x == pytest.approx(20.0, abs=1e-5)
    assert box.y == pytest.approx(-(86.0 - 80.0) / fx * 20.0, abs=1e-5)
    assert box.z == pytest.approx(1.5 - (50.0 - 48.0) / fx * 20.0, abs=1e-5)
    assert (box.length, box.width, box.height) == pytest.approx((4.5, 1.8, 1.5), abs=1e-5)
    # alpha 0 means the box faces along the viewing ray.
    assert box.yaw == pytest.approx(math.atan2(box.y, box.x), abs=1e-5)


def test_peaks_respect_threshold_and_order() -> None:
    heat = np.zeros((2, 5, 5), np.float32)
    heat[1, 1, 1], heat[0, 3, 3], heat[0, 0, 4] = 0.8, 0.95, 0.2
    assert peaks(heat, 0.3, 10) == [(0, 3, 3), (1, 1, 1)]
    assert peaks(heat, 0.3, 1) == [(0, 3, 3)]


def test_hand_made_lane_lifts_to_the_ground() -> None:
    rows = np.asarray(SPEC.lane_rows)
    outputs = {
        "lane_exist": np.array([0, 0, 0.9, 0, 0, 0], np.float32),
        "lane_type": np.eye(len(LANE_TYPES), dtype=np.float32)[[1] * 6],
        "lane_color": np.eye(len(LANE_COLORS), dtype=np.float32)[[1] * 6],
        "lane_u": np.full((6, 12), 0.5, np.float32),
        "lane_vis": np.ones((6, 12), np.float32),
    }
    (lane,) = decode_lanes(outputs, SPEC, CAL_IN, scale_calibration(CAL_IN, 320, 192), 0.5)
    assert (lane.lane_type, lane.color) == (LANE_TYPES[1], LANE_COLORS[1])
    pts = np.asarray(lane.points_ego)
    # Image column cx is straight ahead: y = 0; row v sees the ground at 1.5 * fy / (v - cy).
    fy = CAL_IN.fy
    assert np.allclose(pts[:, 1], 0.0, atol=1e-9)
    assert np.allclose(pts[:, 0], 1.5 * fy / (rows * 96 - 48.0), rtol=1e-6)
    assert np.allclose(np.asarray(lane.points_image)[:, 0], 160.0)  # at the 320 px output


@pytest.mark.parametrize("box_stride", [8, 4])
def test_encode_then_decode_recovers_ground_truth(box_stride: int) -> None:
    spec = replace(SPEC, grid_height=96 // box_stride, grid_width=160 // box_stride)
    seq = generate_sequence(11, n_frames=3)
    labels = seq.document.frames[2]
    targets = encode_frame(labels, spec, seq.calibration)
    assert targets["heatmap"].shape[1:] == (spec.grid_height, spec.grid_width)
    cal_in = scale_calibration(seq.calibration, 160, 96)
    boxes = decode_boxes(targets["heatmap"], targets["box_reg"], spec, cal_in, 0.99, 64)
    taught = [b for b in labels.boxes if int(b.attributes["visible_px"]) >= 12]
    assert len(boxes) == len(taught) > 0
    for gt in taught:
        best = min(boxes, key=lambda b: math.hypot(b.x - gt.x, b.y - gt.y))
        assert best.category == gt.category
        assert (best.x, best.y, best.z) == pytest.approx((gt.x, gt.y, gt.z), abs=1e-3)
        assert math.cos(best.yaw - gt.yaw) == pytest.approx(1.0, abs=1e-6)
    lanes = decode_lanes(_lane_probs(targets), SPEC, cal_in, seq.calibration, 0.5)
    slots = lane_slots(labels.lanes, SPEC.n_lanes)
    assert len(lanes) == len(slots)
    for lane in lanes:
        gt_lane = slots[int(lane.lane_id.split("-")[1])]
        assert lane.lane_type == gt_lane.lane_type
        gt_pts = np.asarray(gt_lane.points_ego)
        for x, y, _z in lane.points_ego:
            if x < 30.0:
                assert abs(np.interp(x, gt_pts[:, 0], gt_pts[:, 1]) - y) < 0.2


def _lane_probs(targets: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = dict(targets)
    out["lane_type"] = np.eye(len(LANE_TYPES), dtype=np.float32)[targets["lane_type"]]
    out["lane_color"] = np.eye(len(LANE_COLORS), dtype=np.float32)[targets["lane_color"]]
    return out


def test_a_lane_leaving_through_the_image_side_is_continued_to_it() -> None:
    u, v = to_image_side(np.array([200.0, 240.0]), np.array([80.0, 90.0]), 100.0, 256.0)
    assert u.tolist() == [200.0, 240.0, 256.0] and v.tolist() == [80.0, 90.0, 94.0]
    inside = to_image_side(np.array([100.0, 110.0]), np.array([80.0, 90.0]), 100.0, 256.0)
    assert inside[0].tolist() == [100.0, 110.0]  # still in the image at the next row: ends


def test_a_marking_seen_at_two_anchors_decodes_to_a_lane_on_it() -> None:
    spec = ModelSpec(144, 256, 18, 32, SPEC.classes, 8,
                     tuple(np.linspace(0.54, 0.98, 12).round(4)), "test@sha256:0")
    scene = make_scene(50001, SceneConfig(n_frames=1))  # four markings left of the ego car
    truth = lane_labels(scene, 0.0)
    targets = encode_lanes(FrameLabels(0, 0.0, (), truth), spec, scene.calibration)
    cal_in = scale_calibration(scene.calibration, 256, 144)
    lanes = decode_lanes(_lane_probs(targets), spec, cal_in, scene.calibration, 0.5)
    outer = max(truth, key=lambda lane: lateral_offset(lane))
    slot = next(k for k, lane in lane_slots(truth, 8).items() if lane is outer)
    assert targets["lane_vis"][slot].sum() == 2  # only the two farthest anchors see it
    decoded = next(lane for lane in lanes if lane.lane_id == f"slot-{slot}")
    # Without the continuation it would not reach 30 m ahead and match nothing (inf); on this
    # curved road the straight continuation is off by under LANE_MATCH_M: adjusted, not redrawn.
    assert lane_distance(decoded, outer) <= LANE_MATCH_M
