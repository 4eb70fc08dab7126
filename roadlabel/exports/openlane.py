"""OpenLane-style 3D lane JSON, one file per frame.

Conventions (OpenLane v1 ``lane3d`` annotation files): ``<sequence>/<index:06d>.json`` with
``file_path`` (the image), ``intrinsic`` (3x3 K), ``extrinsic`` (4x4 camera -> ego, the
``Calibration.camera_to_ego``) and ``lane_lines``, each with

- ``xyz``: [[x...], [y...], [z...]] in the **camera** frame of ``Calibration`` (OpenCV axes:
  x right, y down, z forward). OpenLane's published files use Waymo's camera axes
  (x forward, y left, z up); tools expecting those rotate by the fixed axis change
  (x_w = z, y_w = -x, z_w = -y);
- ``uv``: [[u...], [v...]] image points (the stored image polyline, or the projection of the
  3D points in front of the camera when none was stored);
- ``visibility``: 1.0 per 3D point; ``attribute`` 0; ``track_id``: index of the lane id in
  sorted order; ``category`` (OpenLane ids): white dashed 1, solid 2, double dashed 3,
  double solid 4, dashed|solid 5, solid|dashed 6; yellow adds 6 (7..12); other colours 0;
- roadlabel additions: ``lane_id``, ``lane_type``, ``color``, ``score`` (lossless round trip).

Boxes are not part of OpenLane (use KITTI / nuScenes / OpenLABEL for them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from roadlabel.exports.frames import by_sequence, image_name, to_documents
from roadlabel.exports.geometry import camera_to_ego, ego_to_camera, project
from roadlabel.labels import Calibration, FrameLabels, LabelDocument, Lane

_STYLES = ("dashed", "solid", "double_dashed", "double_solid", "dashed_solid", "solid_dashed")


def category(lane: Lane) -> int:
    """The OpenLane category id of a lane."""
    if lane.lane_type not in _STYLES or lane.color not in ("white", "yellow"):
        return 0
    return 1 + _STYLES.index(lane.lane_type) + (6 if lane.color == "yellow" else 0)


def export(documents: Sequence[LabelDocument],
           calibrations: Mapping[str, Calibration]) -> dict[str, bytes]:
    """One JSON file per frame."""
    files: dict[str, bytes] = {}
    for seq, frames in by_sequence(documents).items():
        cal = calibrations[seq]
        ids = sorted({x.lane_id for f in frames for x in f.lanes})
        for f in frames:
            doc = {"file_path": image_name(seq, f.frame_index), "timestamp_s": f.timestamp_s,
                   "intrinsic": [[cal.fx, 0.0, cal.cx], [0.0, cal.fy, cal.cy], [0.0, 0.0, 1.0]],
                   "extrinsic": [list(cal.camera_to_ego[r * 4:r * 4 + 4]) for r in range(4)],
                   "lane_lines": [_lane(cal, x, ids.index(x.lane_id)) for x in f.lanes]}
            files[f"{seq}/{f.frame_index:06d}.json"] = json.dumps(doc, indent=1).encode()
    return files


def load(files: Mapping[str, bytes]) -> list[LabelDocument]:
    """Read files written by ``export`` (lanes back in ego)."""
    sequences: dict[str, list[FrameLabels]] = {}
    for path in sorted(files):
        seq, name = path.split("/")
        doc = json.loads(files[path])
        ext = doc["extrinsic"]
        k = doc["intrinsic"]
        cal = Calibration(k[0][0], k[1][1], k[0][2], k[1][2], 0, 0,
                          tuple(v for row in ext for v in row))
        lanes = tuple(_parse(cal, x) for x in doc["lane_lines"])
        sequences.setdefault(seq, []).append(
            FrameLabels(int(name[:-5]), float(doc.get("timestamp_s", 0.0)), (), lanes))
    return to_documents(sequences)


def _lane(cal: Calibration, lane: Lane, track: int) -> dict[str, Any]:
    cam = [ego_to_camera(cal, p) for p in lane.points_ego]
    uv = list(lane.points_image) or [q for q in (project(cal, p) for p in cam) if q]
    return {"category": category(lane), "attribute": 0, "track_id": track,
            "xyz": [[p[i] for p in cam] for i in range(3)],
            "uv": [[q[0] for q in uv], [q[1] for q in uv]], "visibility": [1.0] * len(cam),
            "lane_id": lane.lane_id, "lane_type": lane.lane_type, "color": lane.color,
            "score": lane.score, "uv_is_stored": bool(lane.points_image)}


def _parse(cal: Calibration, x: Mapping[str, Any]) -> Lane:
    xs, ys, zs = x["xyz"]
    us, vs = x["uv"]
    image = tuple(zip(us, vs, strict=True)) if x.get("uv_is_stored", True) else ()
    return Lane(str(x.get("lane_id", x["track_id"])), x.get("lane_type", "solid"),
                x.get("color", "white"),
                tuple(camera_to_ego(cal, p) for p in zip(xs, ys, zs, strict=True)),
                image, float(x.get("score", 1.0)))
