"""ASAM OpenLABEL 1.0 JSON: 3D cuboids and lanes (poly3d + poly2d), one file per sequence.

Conventions (ASAM OpenLABEL 1.0.0 specification, JSON schema ``openlabel_json_schema``):

- ``coordinate_systems``: ``ego`` (``local_cs``, root; ISO 8855 x forward, y left, z up) and
  ``camera`` (``sensor_cs``, child of ego) whose ``pose_wrt_parent.matrix4x4`` is
  ``Calibration.camera_to_ego`` (row-major); ``streams.camera`` holds the pinhole intrinsics
  (``camera_matrix_3x4``, ``width_px``, ``height_px``);
- each track and each lane is an object (uid = its position in sorted order, as a string;
  ``name`` = track or lane id; ``type`` = category or ``lane``) with ``frame_intervals``;
- ``frames["<index>"]``: ``frame_properties.timestamp`` (seconds) and per-object
  ``object_data``: boxes as ``cuboid`` in Euler form ``[x, y, z, rx, ry, rz, sx, sy, sz]``
  in ``ego`` (rx = ry = 0, rz = yaw; sx, sy, sz = length, width, height) plus ``num`` score;
  lanes as ``poly3d`` (flat x, y, z list, ``closed: false``, in ``ego``), their image polyline
  as ``poly2d`` (``MODE_POLY2D_ABSOLUTE`` in ``camera``) and ``text`` lane type and colour;
- box ``attributes`` become ``text`` entries named ``attr:<key>``.

Everything of a LabelDocument round-trips except the document-level versions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from roadlabel.exports.frames import by_sequence, to_documents
from roadlabel.labels import Box3D, Calibration, FrameLabels, LabelDocument, Lane

SCHEMA_VERSION = "1.0.0"


def export(documents: Sequence[LabelDocument],
           calibrations: Mapping[str, Calibration]) -> dict[str, bytes]:
    """``<sequence>.json`` per sequence."""
    return {f"{seq}.json": json.dumps(sequence_to_openlabel(seq, frames, calibrations[seq]),
                                      indent=1, sort_keys=True).encode()
            for seq, frames in by_sequence(documents).items()}


def sequence_to_openlabel(seq: str, frames: Sequence[FrameLabels],
                          cal: Calibration) -> dict[str, Any]:
    """The OpenLABEL document of one sequence."""
    tracks = sorted({(b.track_id, b.category) for f in frames for b in f.boxes})
    lanes = sorted({x.lane_id for f in frames for x in f.lanes})
    uid = {("box", t): str(i) for i, (t, _) in enumerate(tracks)}
    uid.update({("lane", x): str(len(tracks) + i) for i, x in enumerate(lanes)})
    objects: dict[str, Any] = {uid[("box", t)]: {"name": t, "type": c} for t, c in tracks}
    objects.update({uid[("lane", x)]: {"name": x, "type": "lane"} for x in lanes})
    out_frames: dict[str, Any] = {}
    seen: dict[str, list[int]] = {}
    for f in frames:
        data = {uid[("box", b.track_id)]: {"object_data": _box_data(b)} for b in f.boxes}
        data.update({uid[("lane", x.lane_id)]: {"object_data": _lane_data(x)} for x in f.lanes})
        for key in data:
            seen.setdefault(key, []).append(f.frame_index)
        out_frames[str(f.frame_index)] = {"frame_properties": {"timestamp": f.timestamp_s},
                                          "objects": data}
    for key, obj in objects.items():
        obj["frame_intervals"] = _intervals(seen.get(key, []))
    return {"openlabel": {
        "metadata": {"schema_version": SCHEMA_VERSION, "name": seq},
        "coordinate_systems": {
            "ego": {"type": "local_cs", "parent": "", "children": ["camera"]},
            "camera": {"type": "sensor_cs", "parent": "ego", "children": [],
                       "pose_wrt_parent": {"matrix4x4": list(cal.camera_to_ego)}},
        },
        "streams": {"camera": {"type": "camera", "uri": f"{seq}/", "stream_properties": {
            "intrinsics_pinhole": {
                "camera_matrix_3x4": [cal.fx, 0.0, cal.cx, 0.0, 0.0, cal.fy, cal.cy, 0.0,
                                      0.0, 0.0, 1.0, 0.0],
                "distortion_coeffs_1xN": [], "width_px": cal.width, "height_px": cal.height}}}},
        "objects": objects,
        "frames": out_frames,
        "frame_intervals": _intervals([f.frame_index for f in frames]),
    }}


def load(files: Mapping[str, bytes]) -> list[LabelDocument]:
    """Read files written by ``export``."""
    sequences: dict[str, list[FrameLabels]] = {}
    for path in sorted(files):
        doc = json.loads(files[path])["openlabel"]
        sequences[doc["metadata"].get("name", path.removesuffix(".json"))] = _frames(doc)
    return to_documents(sequences)


def calibration(doc: Mapping[str, Any]) -> Calibration:
    """The camera calibration an OpenLABEL document carries."""
    ol = doc["openlabel"]
    k = ol["streams"]["camera"]["stream_properties"]["intrinsics_pinhole"]
    m = k["camera_matrix_3x4"]
    pose = ol["coordinate_systems"]["camera"]["pose_wrt_parent"]["matrix4x4"]
    return Calibration(m[0], m[5], m[2], m[6], k["width_px"], k["height_px"], tuple(pose))


def _box_data(b: Box3D) -> dict[str, Any]:
    text = [{"name": f"attr:{k}", "val": v} for k, v in sorted(b.attributes.items())]
    data: dict[str, Any] = {
        "cuboid": [{"name": "box3d", "coordinate_system": "ego",
                    "val": [b.x, b.y, b.z, 0.0, 0.0, b.yaw, b.length, b.width, b.height]}],
        "num": [{"name": "score", "val": b.score}],
    }
    if text:
        data["text"] = text
    return data


def _lane_data(x: Lane) -> dict[str, Any]:
    data: dict[str, Any] = {
        "poly3d": [{"name": "lane3d", "coordinate_system": "ego", "closed": False,
                    "val": [c for p in x.points_ego for c in p]}],
        "text": [{"name": "lane_type", "val": x.lane_type}, {"name": "color", "val": x.color}],
        "num": [{"name": "score", "val": x.score}],
    }
    if x.points_image:
        data["poly2d"] = [{"name": "lane2d", "coordinate_system": "camera", "closed": False,
                           "mode": "MODE_POLY2D_ABSOLUTE",
                           "val": [c for p in x.points_image for c in p]}]
    return data


def _frames(doc: Mapping[str, Any]) -> list[FrameLabels]:
    objects = doc["objects"]
    out = []
    for key in sorted(doc["frames"], key=int):
        frame = doc["frames"][key]
        boxes, lanes = [], []
        for uid, entry in sorted(frame.get("objects", {}).items(), key=lambda kv: int(kv[0])):
            obj, data = objects[uid], entry["object_data"]
            if obj["type"] == "lane":
                lanes.append(_lane(obj["name"], data))
            else:
                boxes.append(_box(obj["name"], obj["type"], data))
        out.append(FrameLabels(int(key), float(frame["frame_properties"]["timestamp"]),
                               tuple(boxes), tuple(lanes)))
    return out


def _box(name: str, category: str, data: Mapping[str, Any]) -> Box3D:
    x, y, z, _, _, yaw, sx, sy, sz = data["cuboid"][0]["val"]
    attrs = {t["name"][5:]: t["val"] for t in data.get("text", [])
             if t["name"].startswith("attr:")}
    return Box3D(name, category, x, y, z, sx, sy, sz, yaw, _num(data, "score"), attrs)


def _lane(name: str, data: Mapping[str, Any]) -> Lane:
    v3 = data["poly3d"][0]["val"]
    v2 = data["poly2d"][0]["val"] if "poly2d" in data else []
    text = {t["name"]: t["val"] for t in data.get("text", [])}
    return Lane(name, text.get("lane_type", "solid"), text.get("color", "white"),
                tuple((v3[i], v3[i + 1], v3[i + 2]) for i in range(0, len(v3), 3)),
                tuple((v2[i], v2[i + 1]) for i in range(0, len(v2), 2)), _num(data, "score"))


def _num(data: Mapping[str, Any], name: str) -> float:
    return float(next((n["val"] for n in data.get("num", []) if n["name"] == name), 1.0))


def _intervals(indices: list[int]) -> list[dict[str, int]]:
    out: list[dict[str, int]] = []
    for i in sorted(set(indices)):
        if out and out[-1]["frame_end"] == i - 1:
            out[-1]["frame_end"] = i
        else:
            out.append({"frame_start": i, "frame_end": i})
    return out
