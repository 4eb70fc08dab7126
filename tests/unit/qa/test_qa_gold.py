"""Accuracy against gold: detection, classes, ID switches, lanes, one score."""

from __future__ import annotations

import pytest

from qa import score_against_gold
from roadlabel.labels import Box3D
from tests.unit.qa.qa_builders import box, document, lane


def scene(n_frames: int = 4) -> list[list[Box3D]]:
    return [[box("g1", 1.0 * i), box("g2", 1.0 * i, 3.5), box("g3", 30.0, -3.5),
             box("g4", 50.0, cat="pedestrian")] for i in range(n_frames)]


def test_perfect_annotation_scores_one() -> None:
    gold = document(scene(), lanes=[[lane("l", 1.75)]] * 4)
    s = score_against_gold(gold, gold)
    assert (s.precision, s.recall, s.class_accuracy, s.id_switches, s.score) == (1, 1, 1, 0, 1)


def test_missed_and_extra_boxes_lower_recall_and_precision() -> None:
    gold = document(scene())
    missed = document([f[:3] for f in scene()])
    s = score_against_gold(missed, gold)
    assert (s.precision, s.recall) == (1.0, 0.75)
    extra = document([[*f, box("x", 80.0)] for f in scene()])
    assert score_against_gold(extra, gold).precision == pytest.approx(0.8)


def test_distance_threshold_decides_a_detection() -> None:
    gold = document([[box("g", 0.0)]])
    assert score_against_gold(document([[box("a", 1.9)]]), gold).recall == 1.0
    assert score_against_gold(document([[box("a", 2.1)]]), gold).recall == 0.0


def test_wrong_class_lowers_class_accuracy() -> None:
    frames = scene()
    wrong = [[*f[:3], box("g4", 50.0, cat="car", size=(0.6, 0.6, 1.75))] for f in frames]
    s = score_against_gold(document(wrong), document(frames))
    assert s.class_accuracy == pytest.approx(0.75) and s.recall == 1.0
    assert s.score < 1.0


def test_swapped_ids_count_as_id_switches() -> None:
    frames = scene(6)
    swapped = [
        f if i < 3 else [box("g2", f[0].x, f[0].y), box("g1", f[1].x, f[1].y), *f[2:]]
        for i, f in enumerate(frames)
    ]
    s = score_against_gold(document(swapped), document(frames))
    assert s.id_switches == 2
    assert s.track_consistency == pytest.approx(1 - 2 / 24)


def test_lane_accuracy() -> None:
    gold = document(scene(2), lanes=[[lane("a", 1.75), lane("b", -1.75)]] * 2)
    doc = document(scene(2), lanes=[[lane("a", 1.95)]] * 2)
    s = score_against_gold(doc, gold)
    assert (s.lane_precision, s.lane_recall) == (1.0, 0.5)
    assert s.lane_mean_distance_m == pytest.approx(0.2)
    assert 0.0 <= s.score < 1.0
