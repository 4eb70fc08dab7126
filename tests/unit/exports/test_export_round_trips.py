"""Export -> import -> equal within tolerance, for every format that can be read back."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from roadlabel.exports import coco, nuscenes, openlabel, openlane, scalabel, voc, yolo
from roadlabel.exports.boxes2d import project_documents
from roadlabel.exports.frames import by_sequence
from roadlabel.labels import Box3D, FrameLabels
from tests.unit.exports.export_samples import CAL, CALS, documents


def _same_boxes(got: FrameLabels, exp: FrameLabels) -> None:
    # The order of labels within a frame carries no meaning (OpenLABEL keys them by uid).
    def key(b: Box3D) -> str:
        return b.track_id

    assert len(got.boxes) == len(exp.boxes)
    for g, e in zip(sorted(got.boxes, key=key), sorted(exp.boxes, key=key), strict=True):
        assert (g.track_id, g.category) == (e.track_id, e.category)
        assert [g.x, g.y, g.z, g.length, g.width, g.height, g.score] == pytest.approx(
            [e.x, e.y, e.z, e.length, e.width, e.height, e.score], abs=1e-6)
        assert math.remainder(g.yaw - e.yaw, 2 * math.pi) == pytest.approx(0.0, abs=1e-9)


def _same_sequences(back: dict[str, list[FrameLabels]], lanes: bool) -> None:
    want = by_sequence(documents())
    assert list(back) == list(want)
    for seq, frames in want.items():
        assert [f.frame_index for f in back[seq]] == [f.frame_index for f in frames]
        assert [f.timestamp_s for f in back[seq]] == pytest.approx(
            [f.timestamp_s for f in frames], abs=1e-6)
        for got, exp in zip(back[seq], frames, strict=True):
            _same_boxes(got, exp)
            if lanes:
                assert sorted(got.lanes, key=lambda x: x.lane_id) == sorted(
                    exp.lanes, key=lambda x: x.lane_id)


def test_openlabel_round_trips_boxes_lanes_attributes_and_calibration() -> None:
    files = openlabel.export(documents(), CALS)
    assert sorted(files) == ["seq-a.json", "seq-b.json"]
    back = by_sequence(openlabel.load(files))
    _same_sequences(back, lanes=True)
    assert back["seq-a"][0].boxes[0].attributes == {"parked": "no"}
    assert openlabel.calibration(json.loads(files["seq-a.json"])) == CAL


def test_openlabel_structure_follows_the_standard() -> None:
    ol = json.loads(openlabel.export(documents(), CALS)["seq-b.json"])["openlabel"]
    assert ol["metadata"]["schema_version"] == "1.0.0"
    assert ol["coordinate_systems"]["camera"]["parent"] == "ego"
    car = next(k for k, o in ol["objects"].items() if o["name"] == "a-car")
    assert ol["objects"][car]["frame_intervals"] == [{"frame_start": 0, "frame_end": 1}]
    cuboid = ol["frames"]["0"]["objects"][car]["object_data"]["cuboid"][0]
    assert cuboid["coordinate_system"] == "ego" and len(cuboid["val"]) == 9
    lane = next(k for k, o in ol["objects"].items() if o["name"] == "l-left")
    assert ol["frames"]["1"]["objects"][lane]["object_data"]["poly3d"][0]["closed"] is False


def test_nuscenes_round_trips_and_links_instances_across_frames() -> None:
    files = nuscenes.export(documents(), CALS)
    _same_sequences(by_sequence(nuscenes.load(files)), lanes=False)
    anns = json.loads(files["sample_annotation.json"])
    instances = json.loads(files["instance.json"])
    car = next(i for i in instances if i["track_id"] == "a-car" and i["nbr_annotations"] == 6)
    chain, tok = [], car["first_annotation_token"]
    by_token = {a["token"]: a for a in anns}
    while tok:
        chain.append(tok)
        tok = by_token[tok]["next"]
    assert len(chain) == 6 and chain[-1] == car["last_annotation_token"]
    truck = next(a for a in anns if a["size"] == [2.5, 9.0, 3.2])  # [width, length, height]
    w, _, _, z = truck["rotation"]
    assert 2 * math.atan2(z, w) == pytest.approx(-2.5)


def test_nuscenes_camera_rotation_maps_camera_forward_to_ego_forward() -> None:
    sensor = json.loads(nuscenes.export(documents(), CALS)["calibrated_sensor.json"])[0]
    w, x, y, z = sensor["rotation"]
    # rotate camera +z (0, 0, 1) by the quaternion: third column of its matrix
    col = (2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y))
    assert col == pytest.approx((1.0, 0.0, 0.0))
    assert sensor["translation"] == [0.0, 0.0, 1.5]


def test_coco_round_trips_the_projected_boxes() -> None:
    files = coco.export(documents(), CALS)
    want = project_documents(documents(), CALS)
    assert len(want) == 8 * 3  # 8 unique frames, 3 visible boxes each
    got = coco.load(files)
    assert [(b.sequence_id, b.frame_index, b.track_id, b.category) for b in got] == [
        (b.sequence_id, b.frame_index, b.track_id, b.category) for b in want]
    for g, w in zip(got, want, strict=True):
        assert [g.x1, g.y1, g.x2, g.y2] == pytest.approx([w.x1, w.y1, w.x2, w.y2])


def test_coco_images_and_categories_are_well_formed() -> None:
    doc = json.loads(coco.export(documents(), CALS)["instances.json"])
    assert len(doc["images"]) == 8 and doc["images"][0]["file_name"] == "seq-a/000000.jpg"
    # Ids follow the built-in ontology, present or not: a class keeps its id across snapshots.
    assert [(c["id"], c["name"]) for c in doc["categories"]] == [
        (1, "car"), (2, "truck"), (3, "bus"), (4, "motorcycle"), (5, "pedestrian"), (6, "cyclist")]
    only_trucks = [replace(d, frames=tuple(replace(f, boxes=tuple(
        b for b in f.boxes if b.category == "truck")) for f in d.frames)) for d in documents()]
    again = json.loads(coco.export(only_trucks, CALS)["instances.json"])
    assert {a["category_id"] for a in again["annotations"]} == {2}
    ann = doc["annotations"][0]
    x, y, w, h = ann["bbox"]
    assert ann["area"] == pytest.approx(w * h)
    assert 0 <= x and x + w <= CAL.width and 0 <= y and y + h <= CAL.height


def test_voc_round_trips_to_half_a_pixel() -> None:
    files = voc.export(documents(), CALS)
    assert len(files) == 8
    want = project_documents(documents(), CALS)
    got = voc.load(files)
    assert [(b.sequence_id, b.frame_index, b.category) for b in got] == [
        (b.sequence_id, b.frame_index, b.category) for b in want]
    for g, w in zip(got, want, strict=True):
        assert [g.x1, g.y1, g.x2, g.y2] == pytest.approx([w.x1, w.y1, w.x2, w.y2], abs=0.5)


def test_yolo_round_trips_normalised_boxes() -> None:
    files = yolo.export(documents(), CALS)
    assert files["classes.txt"] == b"car\ntruck\nbus\nmotorcycle\npedestrian\ncyclist\n"
    first = files["labels/seq-a/000000.txt"].decode().splitlines()[0].split()
    assert first[0] == "0" and all(0.0 <= float(v) <= 1.0 for v in first[1:])
    want = project_documents(documents(), CALS)
    got = yolo.load(files, CALS)
    assert [g.category for g in got] == [w.category for w in want]
    for g, w in zip(got, want, strict=True):
        assert [g.x1, g.y1, g.x2, g.y2] == pytest.approx([w.x1, w.y1, w.x2, w.y2], abs=1e-3)


def test_openlane_round_trips_lanes_and_uses_openlane_categories() -> None:
    files = openlane.export(documents(), CALS)
    doc = json.loads(files["seq-a/000000.json"])
    assert [x["category"] for x in doc["lane_lines"]] == [1, 10]  # white dashed, yellow double
    xs, ys, zs = doc["lane_lines"][0]["xyz"]
    assert (xs[0], ys[0], zs[0]) == pytest.approx((-1.8, 1.5, 5.0))  # camera frame
    back = by_sequence(openlane.load(files))
    want = by_sequence(documents())
    for seq, frames in want.items():
        for got, exp in zip(back[seq], frames, strict=True):
            assert got.frame_index == exp.frame_index
            for g, e in zip(got.lanes, exp.lanes, strict=True):
                assert (g.lane_id, g.lane_type, g.color, g.points_image) == (
                    e.lane_id, e.lane_type, e.color, e.points_image)
                assert [c for p in g.points_ego for c in p] == pytest.approx(
                    [c for p in e.points_ego for c in p], abs=1e-9)


def test_scalabel_round_trips_boxes_and_2d_lanes() -> None:
    files = scalabel.export(documents(), CALS)
    frames = json.loads(files["seq-a.json"])
    assert frames[0]["name"] == "seq-a/000000.jpg" and frames[3]["timestamp"] == 300
    car = frames[0]["labels"][0]
    assert car["box3d"]["dimension"] == [1.6, 1.9, 4.5] and "box2d" in car
    assert frames[0]["labels"][3]["category"] == "lane/single white"
    back = by_sequence(scalabel.load(files, CALS))
    want = by_sequence(documents())
    for seq, exp_frames in want.items():
        for got, exp in zip(back[seq], exp_frames, strict=True):
            _same_boxes(got, exp)
            assert [(x.lane_id, x.lane_type, x.color, x.points_image) for x in got.lanes] == [
                (x.lane_id, x.lane_type, x.color, x.points_image) for x in exp.lanes]
