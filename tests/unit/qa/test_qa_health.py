"""Dataset health: distributions, track lengths, rare classes, label-noise estimate."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from qa import Finding, dataset_health
from roadlabel.labels import LabelDocument
from tests.unit.qa.qa_builders import box, document, lane


def docs() -> list[LabelDocument]:
    a = document([[box("c1", 0.0), box("c2", 10.0)], [box("c1", 1.0)]], lanes=[[lane("l")]] * 2)
    b = replace(document([[box("c1", 0.0), box("p1", 5.0, cat="pedestrian")]]), sequence_id="s2")
    return [a, b]


def test_distributions_and_track_lengths() -> None:
    h = dataset_health(docs(), min_examples=2)
    assert (h["documents"], h["frames"], h["boxes"], h["tracks"]) == (2, 3, 5, 4)
    assert h["class_distribution"]["car"] == {"count": 4, "fraction": 0.8}
    assert h["objects_per_frame"]["mean"] == pytest.approx(5 / 3)
    # Tracks are per sequence: (seq-test, c1) has 2 frames, the others 1.
    assert h["track_length_frames"]["max"] == 2.0
    assert h["track_length_frames"]["histogram"]["1-1"] == 3
    assert [r["class"] for r in h["rare_classes"]] == ["pedestrian"]
    json.dumps(h)


def test_label_noise_estimate_from_findings_and_agreement() -> None:
    flagged = {"seq-test": [
        Finding("overlap", "blocking", (0,), ("c1", "c2"), 0.3, 0.1, "m"),
        Finding("coverage", "warning", (1,), ("c2",), 1.0, 2.0, "m"),
    ]}
    h = dataset_health(docs(), findings=flagged, agreement={"seq-test": 0.9, "s2": 0.7})
    noise = h["label_noise"]
    assert noise["qa_noise_rate"] == pytest.approx(2 / 5)  # two box-frames under a blocker
    assert noise["disagreement_rate"] == pytest.approx(0.2)
    assert noise["estimated_noise_rate"] == pytest.approx(0.3)
    assert dataset_health(docs())["label_noise"]["estimated_noise_rate"] is None
