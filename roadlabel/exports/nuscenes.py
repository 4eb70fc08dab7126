"""nuScenes-style JSON tables: instances tracked across frames, one set of tables per export.

Conventions (nuScenes schema, ``v1.0`` tables):

- ``scene`` per sequence (``name`` = sequence id), ``sample`` per frame (``timestamp`` in
  microseconds, ``prev`` / ``next`` tokens), ``instance`` per track (``nbr_annotations``,
  ``first_annotation_token`` / ``last_annotation_token``), ``sample_annotation`` per box
  (``prev`` / ``next`` along its instance), ``category`` per class name;
- ``translation`` = box centre, ``size`` = **[width, length, height]** (nuScenes order),
  ``rotation`` = quaternion **[w, x, y, z]** of the yaw about +z;
- nuScenes annotations live in a global frame; roadlabel has no ego poses, so every sample
  gets an identity ``ego_pose`` and global = ego of that frame (ISO 8855 axes, like nuScenes'
  ego frame). ``calibrated_sensor`` of ``CAM_FRONT`` holds camera_to_ego (translation and
  [w, x, y, z] rotation) and the intrinsic matrix;
- tokens are deterministic (md5 of sequence / track / frame), so the same labels give the same
  tables; roadlabel additions: ``sample.frame_index``, ``instance.track_id``,
  ``sample_annotation.score`` and ``.attributes`` (a dict; nuScenes' own
  ``attribute_tokens`` stays empty), ``visibility_token`` is "" (unknown).

Lanes are not exported (nuScenes keeps lanes in its map expansion, not per frame).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from roadlabel.exports.frames import by_sequence, to_documents
from roadlabel.exports.geometry import quaternion_yaw, rotation, translation, yaw_quaternion
from roadlabel.labels import Box3D, Calibration, FrameLabels, LabelDocument

TABLES = ("scene", "sample", "ego_pose", "calibrated_sensor", "instance",
          "sample_annotation", "category")


def token(*parts: object) -> str:
    """A deterministic 32-hex token."""
    return hashlib.md5("/".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def export(documents: Sequence[LabelDocument],
           calibrations: Mapping[str, Calibration]) -> dict[str, bytes]:
    """``<table>.json`` for each table."""
    tables: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    categories: set[str] = set()
    for seq, frames in by_sequence(documents).items():
        _sequence(tables, seq, frames, calibrations[seq])
        categories.update(b.category for f in frames for b in f.boxes)
    tables["category"] = [{"token": token("category", c), "name": c, "description": ""}
                          for c in sorted(categories)]
    return {f"{name}.json": json.dumps(rows, indent=1).encode() for name, rows in tables.items()}


def load(files: Mapping[str, bytes]) -> list[LabelDocument]:
    """Read tables written by ``export`` back into documents."""
    t = {name: json.loads(files[f"{name}.json"]) for name in TABLES}
    categories = {c["token"]: c["name"] for c in t["category"]}
    instances = {i["token"]: i for i in t["instance"]}
    by_sample: dict[str, list[dict[str, Any]]] = {}
    for a in t["sample_annotation"]:
        by_sample.setdefault(a["sample_token"], []).append(a)
    sequences: dict[str, list[FrameLabels]] = {}
    for scene in t["scene"]:
        samples = sorted((s for s in t["sample"] if s["scene_token"] == scene["token"]),
                         key=lambda s: s["timestamp"])
        sequences[scene["name"]] = [
            FrameLabels(s["frame_index"], s["timestamp"] / 1e6, tuple(
                _box(a, instances[a["instance_token"]], categories)
                for a in by_sample.get(s["token"], [])))
            for s in samples]
    return to_documents(sequences)


def _sequence(tables: dict[str, list[dict[str, Any]]], seq: str, frames: Sequence[FrameLabels],
              cal: Calibration) -> None:
    sensor = token(seq, "CAM_FRONT")
    tables["calibrated_sensor"].append(_sensor(sensor, cal))
    samples = [token(seq, "sample", f.frame_index) for f in frames]
    tables["scene"].append({
        "token": token(seq, "scene"), "name": seq, "description": "",
        "log_token": token(seq, "log"), "nbr_samples": len(frames),
        "first_sample_token": samples[0] if samples else "",
        "last_sample_token": samples[-1] if samples else ""})
    chains: dict[str, list[str]] = {}
    for i, f in enumerate(frames):
        us = round(f.timestamp_s * 1e6)
        tables["sample"].append({
            "token": samples[i], "timestamp": us, "scene_token": token(seq, "scene"),
            "prev": samples[i - 1] if i else "", "frame_index": f.frame_index,
            "next": samples[i + 1] if i + 1 < len(samples) else ""})
        tables["ego_pose"].append({"token": token(seq, "pose", f.frame_index), "timestamp": us,
                                   "translation": [0.0, 0.0, 0.0],
                                   "rotation": [1.0, 0.0, 0.0, 0.0]})
        for b in f.boxes:
            ann = token(seq, b.track_id, f.frame_index)
            chains.setdefault(b.track_id, []).append(ann)
            tables["sample_annotation"].append(_annotation(ann, samples[i], seq, b))
    _link(tables, seq, chains, frames)


def _link(tables: dict[str, list[dict[str, Any]]], seq: str, chains: dict[str, list[str]],
          frames: Sequence[FrameLabels]) -> None:
    position = {a["token"]: a for a in tables["sample_annotation"]}
    category = {b.track_id: b.category for f in frames for b in f.boxes}
    for track, anns in sorted(chains.items()):
        for prev, nxt in itertools.pairwise(anns):
            position[prev]["next"], position[nxt]["prev"] = nxt, prev
        tables["instance"].append({
            "token": token(seq, "instance", track), "track_id": track,
            "category_token": token("category", category[track]),
            "nbr_annotations": len(anns), "first_annotation_token": anns[0],
            "last_annotation_token": anns[-1]})


def _annotation(ann: str, sample: str, seq: str, b: Box3D) -> dict[str, Any]:
    return {"token": ann, "sample_token": sample, "instance_token": token(seq, "instance",
                                                                          b.track_id),
            "translation": [b.x, b.y, b.z], "size": [b.width, b.length, b.height],
            "rotation": list(yaw_quaternion(b.yaw)), "prev": "", "next": "",
            "attribute_tokens": [], "visibility_token": "", "num_lidar_pts": 0,
            "num_radar_pts": 0, "score": b.score, "attributes": dict(b.attributes)}


def _sensor(tok: str, cal: Calibration) -> dict[str, Any]:
    return {"token": tok, "sensor_token": token("sensor", "CAM_FRONT"),
            "translation": list(translation(cal)),
            "rotation": list(_matrix_quaternion(rotation(cal))),
            "camera_intrinsic": [[cal.fx, 0.0, cal.cx], [0.0, cal.fy, cal.cy], [0.0, 0.0, 1.0]]}


def _box(a: Mapping[str, Any], instance: Mapping[str, Any], categories: Mapping[str, str]) -> Box3D:
    w, length, h = a["size"]
    x, y, z = a["translation"]
    return Box3D(instance["track_id"], categories[instance["category_token"]],
                 x, y, z, length, w, h, quaternion_yaw(a["rotation"]),
                 float(a.get("score", 1.0)), dict(a.get("attributes", {})))


def _matrix_quaternion(r: Sequence[Sequence[float]]) -> tuple[float, float, float, float]:
    """(w, x, y, z) of a rotation matrix (Shepperd's method, largest pivot first)."""
    trace = r[0][0] + r[1][1] + r[2][2]
    if trace > 0:
        s = 2.0 * math.sqrt(1.0 + trace)
        return (0.25 * s, (r[2][1] - r[1][2]) / s, (r[0][2] - r[2][0]) / s, (r[1][0] - r[0][1]) / s)
    i = max(range(3), key=lambda k: r[k][k])
    j, k = (i + 1) % 3, (i + 2) % 3
    s = 2.0 * math.sqrt(1.0 + r[i][i] - r[j][j] - r[k][k])
    q = [0.0, 0.0, 0.0, 0.0]
    q[0] = (r[k][j] - r[j][k]) / s
    q[1 + i] = 0.25 * s
    q[1 + j] = (r[j][i] + r[i][j]) / s
    q[1 + k] = (r[k][i] + r[i][k]) / s
    return (q[0], q[1], q[2], q[3])
