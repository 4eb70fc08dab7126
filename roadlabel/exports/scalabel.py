"""Scalabel / BDD100K JSON (the BDD100K MOT box-track format), one file per sequence.

Conventions (scalabel.ai "Scalabel Format"): ``<sequence>.json`` is a list of frames, each
``{"name": "<sequence>/<index:06d>.jpg", "videoName", "frameIndex", "timestamp"
(milliseconds), "labels"}``. A box label has ``id`` (the track id, stable across frames),
``category``, ``score``, ``attributes``, ``box2d`` ``{x1, y1, x2, y2}`` (projected, clipped,
pixels from the top-left) and ``box3d`` in the **camera** frame (x right, y down, z forward):
``location`` = box centre, ``dimension`` = [height, width, length], ``orientation`` =
[0, rotation_y, 0] (KITTI's rotation_y), ``alpha``. Boxes with a corner behind the camera
have no ``box2d``. A lane label has ``category`` ``lane/<single|double> <white|yellow|other>``
(BDD100K lane classes), ``attributes`` ``laneStyle`` (solid / dashed) and ``laneDirection``
(parallel), plus roadlabel's exact ``laneType``, and its image polyline as ``poly2d``
(``vertices``, ``types`` all "L", ``closed`` false).

Round trip: boxes in full; lanes keep their 2D polyline only (Scalabel lanes are 2D).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from roadlabel.exports.frames import by_sequence, image_name, to_documents
from roadlabel.exports.geometry import (
    box_2d,
    camera_ry_to_yaw,
    camera_to_ego,
    ego_to_camera,
    yaw_to_camera_ry,
)
from roadlabel.labels import Box3D, Calibration, FrameLabels, LabelDocument, Lane, wrap_yaw


def export(documents: Sequence[LabelDocument],
           calibrations: Mapping[str, Calibration]) -> dict[str, bytes]:
    """``<sequence>.json`` per sequence."""
    files = {}
    for seq, frames in by_sequence(documents).items():
        cal = calibrations[seq]
        out = [{"name": image_name(seq, f.frame_index), "videoName": seq,
                "frameIndex": f.frame_index, "timestamp": round(f.timestamp_s * 1000),
                "labels": [_box(cal, b) for b in f.boxes] + [_lane(x) for x in f.lanes]}
               for f in frames]
        files[f"{seq}.json"] = json.dumps(out, indent=1).encode()
    return files


def load(files: Mapping[str, bytes],
         calibrations: Mapping[str, Calibration]) -> list[LabelDocument]:
    """Read files written by ``export``; 3D boxes go back to ego with the calibrations."""
    sequences: dict[str, list[FrameLabels]] = {}
    for path in sorted(files):
        for fr in json.loads(files[path]):
            cal = calibrations[fr["videoName"]]
            labels = fr["labels"]
            boxes = tuple(_parse_box(cal, x) for x in labels if "box3d" in x)
            lanes = tuple(_parse_lane(x) for x in labels if "poly2d" in x)
            sequences.setdefault(fr["videoName"], []).append(
                FrameLabels(fr["frameIndex"], fr["timestamp"] / 1000.0, boxes, lanes))
    return to_documents(sequences)


def _box(cal: Calibration, b: Box3D) -> dict[str, Any]:
    loc = ego_to_camera(cal, (b.x, b.y, b.z))
    ry = yaw_to_camera_ry(cal, b.yaw)
    label: dict[str, Any] = {
        "id": b.track_id, "category": b.category, "score": b.score,
        "attributes": dict(b.attributes),
        "box3d": {"location": list(loc), "dimension": [b.height, b.width, b.length],
                  "orientation": [0.0, ry, 0.0],
                  "alpha": wrap_yaw(ry - math.atan2(loc[0], loc[2]))}}
    rect = box_2d(cal, b)
    if rect is not None:
        label["box2d"] = dict(zip(("x1", "y1", "x2", "y2"), rect, strict=True))
    return label


def _lane(x: Lane) -> dict[str, Any]:
    double = x.lane_type.startswith("double")
    style = "dashed" if x.lane_type in ("dashed", "double_dashed") else "solid"
    return {"id": x.lane_id, "score": x.score,
            "category": f"lane/{'double' if double else 'single'} {x.color}",
            "attributes": {"laneStyle": style, "laneDirection": "parallel",
                           "laneType": x.lane_type},
            "poly2d": [{"vertices": [list(p) for p in x.points_image],
                        "types": "L" * len(x.points_image), "closed": False}]}


def _parse_box(cal: Calibration, x: Mapping[str, Any]) -> Box3D:
    b = x["box3d"]
    h, w, length = b["dimension"]
    cx, cy, cz = camera_to_ego(cal, b["location"])
    return Box3D(str(x["id"]), x["category"], cx, cy, cz, length, w, h,
                 camera_ry_to_yaw(cal, b["orientation"][1]), float(x.get("score", 1.0)),
                 {str(k): str(v) for k, v in x.get("attributes", {}).items()})


def _parse_lane(x: Mapping[str, Any]) -> Lane:
    kind = x["category"].split("/", 1)[1]
    color = kind.split(" ", 1)[1]
    vertices = x["poly2d"][0]["vertices"]
    return Lane(str(x["id"]), x["attributes"].get("laneType", "solid"), color, (),
                tuple((float(u), float(v)) for u, v in vertices), float(x.get("score", 1.0)))
