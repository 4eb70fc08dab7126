"""Inter-annotator agreement: matching, IoU agreement, Cohen's and Fleiss' kappa, lanes."""

from __future__ import annotations

import pytest

from qa import (
    annotator_agreement,
    cohen_kappa,
    document_agreement,
    fleiss_kappa,
    frame_agreement,
    group_class_kappa,
    lane_agreement,
    match_boxes,
)
from roadlabel.labels import Box3D
from tests.unit.qa.qa_builders import box, document, lane

SAME = (4.5, 1.9, 1.6)


def test_cohen_kappa_hand_example() -> None:
    # 10 items, two raters. Agreement on 8 -> p_o = 0.8.
    # Rater a: car 6, ped 4; rater b: car 6, ped 4 -> p_e = 0.6*0.6 + 0.4*0.4 = 0.52.
    # kappa = (0.8 - 0.52) / (1 - 0.52) = 0.28 / 0.48 = 7/12.
    a = ["car", "car", "car", "ped", "ped", "car", "ped", "car", "car", "ped"]
    b = ["car", "car", "ped", "ped", "ped", "car", "car", "car", "car", "ped"]
    assert cohen_kappa(a, b) == pytest.approx(7 / 12)


def test_cohen_kappa_extremes() -> None:
    assert cohen_kappa(["car", "ped"], ["car", "ped"]) == 1.0
    # p_o = 0, p_e = (1*1 + 1*1) / 4 = 0.5 -> kappa = (0 - 0.5) / 0.5 = -1.
    assert cohen_kappa(["car", "ped"], ["ped", "car"]) == pytest.approx(-1.0)
    assert cohen_kappa(["car"] * 3, ["car"] * 3) == 1.0
    with pytest.raises(ValueError):
        cohen_kappa(["car"], [])


def test_fleiss_kappa_hand_example() -> None:
    # 4 items, 3 raters, categories car/ped. P_i = (sum n_ij^2 - 3) / (3 * 2):
    #   (car,car,car) -> (9 - 3)/6 = 1; (car,car,ped) -> (4 + 1 - 3)/6 = 1/3;
    #   (ped,ped,ped) -> 1;             (car,ped,ped) -> 1/3.      P_bar = (8/3)/4 = 2/3.
    # p_car = 6/12 = 0.5, p_ped = 0.5 -> P_e = 0.25 + 0.25 = 0.5.
    # kappa = (2/3 - 1/2) / (1 - 1/2) = 1/3.
    items = [["car"] * 3, ["car", "car", "ped"], ["ped"] * 3, ["car", "ped", "ped"]]
    assert fleiss_kappa(items) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        fleiss_kappa([["car", "car"], ["car"]])


def test_group_class_kappa_matches_objects_across_three_annotators() -> None:
    # The same four objects; classes per object as in the Fleiss hand example -> 1/3.
    classes = {"a1": ["car", "car", "ped", "car"], "a2": ["car", "car", "ped", "ped"],
               "a3": ["car", "ped", "ped", "ped"]}
    docs = {
        name: document([[box(f"{name}-{i}", 10.0 * i, cat=c, size=SAME)
                         for i, c in enumerate(cats)]])
        for name, cats in classes.items()
    }
    assert group_class_kappa(docs) == pytest.approx(1 / 3)


def test_match_boxes_is_optimal_not_greedy() -> None:
    # Greedy would take the closest pair (3.0 -> 1.6) and leave 0.0 with nothing in reach.
    a = [box("a1", 0.0), box("a2", 3.0)]
    b = [box("b1", 1.6), box("b2", 4.8)]
    m = match_boxes(a, b, by="distance", max_distance_m=2.0)
    assert sorted((x.a, x.b) for x in m) == [(0, 0), (1, 1)]


def test_frame_agreement_iou_and_misses() -> None:
    a = [box("a1", 0.0), box("a2", 20.0)]
    shifted = frame_agreement(a, [box("b1", 0.45), box("b2", 20.0)])
    # Equal aligned boxes offset 0.45 m along a 4.5 m length: IoU = 4.05 / 4.95.
    assert shifted.mean_iou == pytest.approx((4.05 / 4.95 + 1.0) / 2)
    missing = frame_agreement(a, [box("b1", 0.0)])
    assert (missing.only_a, missing.only_b) == (1, 0)
    assert missing.agreement == pytest.approx(0.5)
    assert frame_agreement([], []).agreement == 1.0


def test_document_agreement_and_class_kappa() -> None:
    a = document([[box("a", 0.0), box("b", 20.0, cat="pedestrian", size=SAME)]] * 2,
                 lanes=[[lane("l", 0.0)]] * 2)
    same = document_agreement(a, a)
    assert (same.box_agreement, same.class_kappa, same.lanes.f1) == (1.0, 1.0, 1.0)
    b = document([[box("a", 0.0), box("b", 20.0, cat="car")]] * 2, lanes=[[lane("l", 0.3)]] * 2)
    d = document_agreement(a, b)
    assert d.class_kappa < 1.0 and d.box_agreement == pytest.approx(1.0)
    assert d.lanes.mean_distance_m == pytest.approx(0.3)


def test_lane_agreement_f1() -> None:
    a = [lane("l1", 0.0), lane("l2", 3.5)]
    assert lane_agreement(a, [lane("x", 0.2), lane("y", 3.5)]).f1 == 1.0
    far = lane_agreement(a, [lane("x", 0.2), lane("y", 5.0)])
    assert (far.matched, far.only_a, far.only_b) == (1, 1, 1)
    assert far.f1 == pytest.approx(0.5)
    assert lane_agreement([], []).f1 == 1.0


def test_annotator_agreement_singles_out_the_outlier() -> None:
    good: list[Box3D] = [box(f"o{i}", 10.0 * i) for i in range(4)]
    sloppy = [box(f"o{i}", 10.0 * i + 1.5, cat="truck", size=SAME) for i in range(4)]
    docs = {"ann": document([good]), "bob": document([good]), "cat": document([sloppy])}
    scores = annotator_agreement(docs)
    assert scores["cat"].score < scores["ann"].score == scores["bob"].score
    assert all(0.0 <= s.score <= 1.0 for s in scores.values())
