"""Parquet files of label documents: columns, round trip, deterministic bytes."""

from __future__ import annotations

import json

from roadlabel.labels import Box3D, FrameLabels, LabelDocument, Lane
from roadlabel.versioning.columnar import (
    BOXES_SCHEMA,
    LANES_SCHEMA,
    box_rows,
    boxes_from_rows,
    boxes_parquet,
    lane_rows,
    lanes_from_rows,
    lanes_parquet,
    read_table,
)

SOLID = Lane("l1", "solid", "yellow", ((5.0, 1.8, 0.0), (30.0, 1.9, 0.1), (60.0, 2.0, 0.2)),
             ((300.0, 700.0), (520.0, 420.0)), score=0.7)
NO_POINTS = Lane("l2", "dashed", "white", ())


def _doc(first: int = 40, x: float = 12.0) -> LabelDocument:
    frames = (
        FrameLabels(first, first / 10, (
            Box3D("d7-t12", "car", x, 1.0, 0.8, 4.5, 1.9, 1.6, 0.1, 0.93,
                  {"occluded": "no", "truncated": "ja, ü"}),
            Box3D("d7-t13", "pedestrian", 8.0, -2.0, 0.9, 0.6, 0.6, 1.8, -3.0)),
            (SOLID, NO_POINTS)),
        FrameLabels(first + 1, first / 10 + 0.1),  # nothing labelled: no rows
        FrameLabels(first + 2, first / 10 + 0.2, (
            Box3D("d7-t12", "car", x + 1, 1.0, 0.8, 4.5, 1.9, 1.6, 0.12),), (SOLID,)),
    )
    return LabelDocument("drive-7", first, frames, "ont-3", "m-7")


def test_parquet_rows_equal_the_document_rows() -> None:
    doc = _doc()
    boxes, lanes = read_table(boxes_parquet(doc)), read_table(lanes_parquet(doc))
    assert boxes.schema.equals(BOXES_SCHEMA) and lanes.schema.equals(LANES_SCHEMA)
    assert boxes.to_pylist() == box_rows(doc)
    assert lanes.to_pylist() == lane_rows(doc)
    assert boxes.num_rows == 3 and lanes.num_rows == 3 + 1 + 3


def test_box_columns_hold_the_documented_values() -> None:
    row = box_rows(_doc())[0]
    assert row == {"sequence_id": "drive-7", "first_frame": 40, "frame_index": 40,
                   "timestamp_s": 4.0, "track_id": "d7-t12", "category": "car", "x": 12.0,
                   "y": 1.0, "z": 0.8, "length": 4.5, "width": 1.9, "height": 1.6,
                   "yaw": 0.1, "score": 0.93,
                   "attributes": '{"occluded":"no","truncated":"ja, ü"}'}


def test_lane_points_pair_ego_and_image_with_nulls_where_one_is_shorter() -> None:
    rows = [r for r in lane_rows(_doc()) if r["frame_index"] == 40]
    assert [(r["lane_id"], r["point_index"]) for r in rows] == [
        ("l1", 0), ("l1", 1), ("l1", 2), ("l2", None)]
    assert (rows[1]["x"], rows[1]["u"], rows[1]["v"]) == (30.0, 520.0, 420.0)
    assert rows[2]["z"] == 0.2 and rows[2]["u"] is None and rows[2]["v"] is None
    assert rows[3]["x"] is None and rows[3]["type"] == "dashed"


def test_labels_rebuilt_from_parquet_equal_the_document() -> None:
    doc = _doc()
    boxes = boxes_from_rows(read_table(boxes_parquet(doc)).to_pylist())
    lanes = lanes_from_rows(read_table(lanes_parquet(doc)).to_pylist())
    labelled = [f for f in doc.frames if f.boxes or f.lanes]
    assert boxes == {f.frame_index: f.boxes for f in labelled}
    assert lanes == {f.frame_index: f.lanes for f in labelled}
    assert json.loads(read_table(boxes_parquet(doc)).column("attributes")[0].as_py()) == {
        "occluded": "no", "truncated": "ja, ü"}


def test_same_labels_give_the_same_bytes_and_a_change_changes_them() -> None:
    assert boxes_parquet(_doc()) == boxes_parquet(_doc())
    assert lanes_parquet(_doc()) == lanes_parquet(_doc())
    assert boxes_parquet(_doc(x=13.0)) != boxes_parquet(_doc())
    assert lanes_parquet(_doc(x=13.0)) == lanes_parquet(_doc())


def test_a_document_without_labels_gives_empty_tables_with_the_schema() -> None:
    doc = LabelDocument("s", 0, (FrameLabels(0, 0.0),))
    boxes, lanes = read_table(boxes_parquet(doc)), read_table(lanes_parquet(doc))
    assert boxes.num_rows == 0 and boxes.schema.equals(BOXES_SCHEMA)
    assert lanes.num_rows == 0 and lanes.schema.equals(LANES_SCHEMA)
