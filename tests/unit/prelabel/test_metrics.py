"""Benchmark metrics: AP, CLEAR-MOT, lane F1 and effort respond to the errors they measure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from roadlabel.labels import Box3D, FrameLabels, Lane
from workers.prelabel.metrics import (
    ANNOTATION_COSTS_S,
    annotation_effort,
    average_precision,
    clear_mot,
    lane_f1,
)


def _car(tid: str, x: float, y: float, score: float = 1.0) -> Box3D:
    return Box3D(tid, "car", x, y, 0.8, 4.5, 1.8, 1.5, 0.0, score)


def _lane(lid: str, y: float) -> Lane:
    return Lane(lid, "dashed", "white", tuple((float(x), y, 0.0) for x in range(4, 40, 4)))


def _frames(boxes: list[list[Box3D]], lanes: list[list[Lane]] | None = None) -> list[FrameLabels]:
    lanes = lanes or [[] for _ in boxes]
    return [FrameLabels(i, i * 0.1, tuple(b), tuple(ln)) for i, (b, ln) in
            enumerate(zip(boxes, lanes, strict=True))]


def test_perfect_predictions_score_one_and_misses_lower_ap() -> None:
    gt = _frames([[_car("a", 10, 0), _car("b", 20, 3)]] * 3)
    assert average_precision(gt, gt, ["car"])["map"] == pytest.approx(1.0)
    half = _frames([[_car("a", 10, 0)]] * 3)
    assert average_precision(half, gt, ["car"])["map"] == pytest.approx(0.5)
    shifted = _frames([[_car("a", 11.5, 0, 0.5), _car("b", 20, 3)]] * 3)  # 1.5 m off
    assert average_precision(shifted, gt, ["car"])["ap_car"] == pytest.approx(0.75)


def test_low_scored_false_positive_does_not_hurt_ap_but_high_scored_does() -> None:
    gt = _frames([[_car("a", 10, 0)]])
    low = _frames([[_car("p", 10, 0, 0.9), _car("q", 30, -5, 0.1)]])
    high = _frames([[_car("p", 10, 0, 0.5), _car("q", 30, -5, 0.9)]])
    assert average_precision(low, gt, ["car"])["map"] == pytest.approx(1.0)
    assert average_precision(high, gt, ["car"])["map"] == pytest.approx(0.5)


def test_mota_counts_id_switches_misses_and_false_positives() -> None:
    gt = _frames([[_car("a", 10 + i, 0)] for i in range(4)])
    pred = _frames([[_car("x", 10, 0)], [_car("x", 11, 0)], [_car("y", 12, 0)],
                    [_car("y", 13, 0), _car("z", 30, 5)]])
    res = clear_mot(pred, gt)
    assert (res.gt, res.idsw, res.fp, res.fn) == (4, 1, 1, 0)
    assert res.mota == pytest.approx(0.5)


def test_lane_f1_matches_close_lanes_only() -> None:
    gt = _frames([[]], [[_lane("g1", 1.75), _lane("g2", -1.75)]])
    pred = _frames([[]], [[_lane("p1", 1.9), _lane("p2", -3.0)]])
    f = lane_f1(pred, gt)
    assert f["lane_precision"] == pytest.approx(0.5) and f["lane_recall"] == pytest.approx(0.5)


def test_effort_uses_the_documented_costs() -> None:
    gt = _frames([[_car("a", 10, 0), _car("b", 20, 3)]], [[_lane("g", 1.75)]])
    c = ANNOTATION_COSTS_S
    scratch = 2 * c["box_create"] + c["lane_create"]
    perfect = annotation_effort(gt, gt)
    assert perfect["scratch_s"] == scratch
    assert perfect["with_prelabels_s"] == 2 * c["box_verify"] + c["lane_verify"]
    wrong_size = [replace(gt[0], boxes=(replace(gt[0].boxes[0], length=7.0),))]
    partial = annotation_effort(wrong_size, gt)
    # the long box is adjusted, the missing one created, the lane (kept) verified
    assert partial["with_prelabels_s"] == c["box_adjust"] + c["box_create"] + c["lane_verify"]
    assert partial["effort_ratio"] == pytest.approx(scratch / partial["with_prelabels_s"])


def test_effort_adjusts_a_far_box_with_depth_error_but_recreates_a_near_one() -> None:
    c = ANNOTATION_COSTS_S
    far_gt = _frames([[_car("a", 40, 0)]])
    far_pred = _frames([[_car("p", 43, 0)]])  # 3 m off at 40 m: on the object in the image
    assert annotation_effort(far_pred, far_gt)["with_prelabels_s"] == c["box_adjust"]
    near_gt = _frames([[_car("a", 10, 0)]])
    near_pred = _frames([[_car("p", 13, 0)]])  # 3 m off at 10 m: another place entirely
    assert annotation_effort(near_pred, near_gt)["with_prelabels_s"] == (
        c["box_create"] + c["box_delete"])


def test_effort_adjusts_a_box_of_the_wrong_class() -> None:
    gt = _frames([[_car("a", 20, 0)]])
    pred = _frames([[replace(_car("p", 20, 0), category="cyclist")]])
    assert annotation_effort(pred, gt)["with_prelabels_s"] == ANNOTATION_COSTS_S["box_adjust"]
    assert clear_mot(pred, gt).fn == 1  # MOTA stays strict about the class
