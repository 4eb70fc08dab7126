"""Segment planning and the JSON form of label documents."""

from __future__ import annotations

import itertools
import math

import pytest

from roadlabel.errors import ConfigError
from roadlabel.labels import Box3D, FrameLabels, LabelDocument, Lane, wrap_yaw
from roadlabel.labels_json import LabelFormatError, document_from_dict, document_to_dict
from roadlabel.segments import plan_segments


def test_segments_overlap_and_cover_every_frame() -> None:
    assert plan_segments(10, 5, 1) == [(0, 5), (4, 9), (8, 10)]
    assert plan_segments(5, 5, 1) == [(0, 5)]
    assert plan_segments(0, 5, 1) == []
    segs = plan_segments(1000, 50, 5)
    covered = set().union(*(range(a, b) for a, b in segs))
    assert covered == set(range(1000))
    assert all(b - a == 5 for (_, b), (a, _) in itertools.pairwise(segs))


@pytest.mark.parametrize(("k", "o"), [(0, 0), (5, 5), (5, -1)])
def test_bad_segment_settings_are_refused(k: int, o: int) -> None:
    with pytest.raises(ConfigError):
        plan_segments(10, k, o)


def test_yaw_wraps_into_half_open_interval() -> None:
    assert wrap_yaw(-math.pi) == math.pi
    assert wrap_yaw(3 * math.pi / 2) == pytest.approx(-math.pi / 2)
    assert wrap_yaw(0.25) == 0.25


def test_document_round_trips_through_json() -> None:
    doc = LabelDocument("seq", 10, (FrameLabels(10, 1.0, (
        Box3D("t1", "car", 1, 2, 0.8, 4.5, 1.9, 1.6, 0.1, 0.9, {"occlusion": "none"}),),
        (Lane("L1", "dashed", "white", ((5, 1.8, 0), (20, 1.9, 0)), ((100, 300), (200, 250))),)),),
        "1.0.0", "baseline@abc")
    assert document_from_dict(document_to_dict(doc)) == doc


def test_non_finite_box_is_a_format_error_naming_the_field() -> None:
    d = {"sequence_id": "s", "frames": [{"frame_index": 0, "boxes": [
        {"track_id": "a", "category": "car", "center": [0, 0, float("inf")],
         "size": [1, 1, 1], "yaw": 0}]}]}
    with pytest.raises(LabelFormatError, match=r"frames\[0\]\.boxes\[0\]"):
        document_from_dict(d)
