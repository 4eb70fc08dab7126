"""KITTI tracking: conventions on one known box, and a full round trip."""

from __future__ import annotations

import pytest

from roadlabel.errors import UserError
from roadlabel.exports import kitti_tracking
from roadlabel.exports.frames import by_sequence
from roadlabel.labels import Box3D, FrameLabels, LabelDocument
from tests.unit.exports.export_samples import CAL, CALS, documents


def test_a_car_ahead_is_written_in_camera_frame_with_bottom_centre() -> None:
    doc = LabelDocument("s", 0, (FrameLabels(0, 0.0, (
        Box3D("t", "car", 10.0, 0.0, 0.8, 4.0, 1.8, 1.6, 0.0, 0.5),)),))
    files = kitti_tracking.export([doc], {"s": CAL})
    fields = files["label_02/0000.txt"].decode().split()
    assert fields[:5] == ["0", "0", "Car", "0.00", "3"]
    h, w, length, x, y, z, ry = (float(v) for v in fields[10:17])
    assert (h, w, length) == (1.6, 1.8, 4.0)
    assert (x, y, z) == pytest.approx((0.0, 1.5, 10.0))
    assert ry == pytest.approx(-1.570796, abs=1e-6)
    assert float(fields[17]) == 0.5
    assert files["calib/0000.txt"].decode().startswith("P0: ")


def test_round_trip_restores_boxes_ids_and_timestamps() -> None:
    docs = documents()
    back = by_sequence(kitti_tracking.load(kitti_tracking.export(docs, CALS)))
    want = by_sequence(docs)
    assert list(back) == list(want)
    for seq, frames in want.items():
        assert [f.frame_index for f in back[seq]] == [f.frame_index for f in frames]
        for got, exp in zip(back[seq], frames, strict=True):
            assert got.timestamp_s == exp.timestamp_s
            for gb, eb in zip(got.boxes, exp.boxes, strict=True):
                assert (gb.track_id, gb.category) == (eb.track_id, eb.category)
                assert [gb.x, gb.y, gb.z, gb.length, gb.width, gb.height, gb.yaw, gb.score] == \
                    pytest.approx([eb.x, eb.y, eb.z, eb.length, eb.width, eb.height, eb.yaw,
                                   eb.score], abs=1e-5)


def test_missing_calibration_is_a_user_error() -> None:
    with pytest.raises(UserError, match="no calibration for sequence 'seq-a'"):
        kitti_tracking.export(documents(), {})
