"""Dataset card: counts without double-counting overlap, class distribution, health."""

from __future__ import annotations

from roadlabel.labels import Box3D, FrameLabels, LabelDocument
from roadlabel.versioning.card import build_card, card_markdown


def _frame(i: int, cats: tuple[str, ...]) -> FrameLabels:
    return FrameLabels(i, i / 10, tuple(Box3D(f"t{k}", c, 10, 0, 1, 4, 2, 1.5, 0)
                                        for k, c in enumerate(cats)))


def test_overlapping_frames_are_counted_once() -> None:
    a = LabelDocument("s", 0, tuple(_frame(i, ("car", "truck")) for i in range(0, 4)))
    b = LabelDocument("s", 3, tuple(_frame(i, ("car",)) for i in range(3, 6)))
    card = build_card("snapshot-x", [b, a], {"b1": {"qa_pass_rate": "0.9", "agreement": "0.8"},
                                             "b2": {"qa_pass_rate": "1.0"}},
                      {"train": ["s"], "val": [], "test": []})
    assert card["counts"] == {"sequences": 1, "segments": 2, "frames": 6, "boxes": 10,
                              "tracks": 2, "lanes": 0}
    assert card["class_distribution"] == {"car": 6, "truck": 4}  # frame 3 from segment a
    assert card["health"] == {"qa_pass_rate": 0.95, "agreement": 0.8, "cost_per_frame": None}
    quality = card["quality"]  # qa.dataset_health, frame 3 once
    assert quality["objects_per_frame"]["count"] == 6 and quality["objects_per_frame"]["max"] == 2
    assert quality["track_length_frames"]["max"] == 6  # t0 (car) in every frame
    assert [r["class"] for r in quality["rare_classes"]] == ["car", "truck"]  # < 100 examples
    md = card_markdown(card)
    assert "| car | 6 | 60.0% |" in md and md.startswith("# Dataset card: snapshot-x")
    assert "Rare classes (under 1 % of boxes or 100 examples): car (6), truck (4)." in md
