"""KITTI tracking labels (``label_02``) and calibration, written from ego-frame labels.

Conventions (KITTI devkit ``readme.txt``):

- one file per sequence, ``label_02/<NNNN>.txt``, sequences numbered 0000.. in sequence-id
  order; one line per object and frame:
  ``frame track_id type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y score``;
- 3D in the **camera** frame (x right, y down, z forward): ``x y z`` is the bottom centre of
  the box (centre minus half the height along ego up), ``h w l`` = height, width, length,
  ``rotation_y`` about camera +y in [-pi, pi] (0 = facing camera +x; a car driving away from
  the camera has -pi/2), ``alpha = rotation_y - atan2(x, z)``;
- ``x1 y1 x2 y2`` is the rectangle of the projected corners clipped to the image;
  ``truncated`` is the share of that rectangle outside the image; ``occluded`` is 3 (unknown);
- ``calib/<NNNN>.txt``: ``P0..P3`` = [K | 0], ``R_rect`` = I, ``Tr_velo_cam`` = ego -> camera
  (KITTI's Velodyne frame has the same axes as the ISO 8855 ego frame), ``Tr_imu_velo`` = I;
- types: car->Car, van->Van, truck->Truck, pedestrian->Pedestrian, cyclist->Cyclist,
  tram->Tram, person_sitting->Person_sitting; any other category is written unchanged.

Not representable: lanes, boxes with a corner behind the camera (KITTI labels what the camera
sees), box attributes. ``roadlabel_sequences.json`` (a roadlabel addition, ignored by KITTI
tools) keeps sequence ids, track ids, timestamps and image sizes, so ``load`` round-trips.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from roadlabel.errors import UserError
from roadlabel.exports.frames import by_sequence, to_documents
from roadlabel.exports.geometry import (
    box_2d,
    box_corners,
    camera_ry_to_yaw,
    camera_to_ego,
    ego_to_camera,
    ego_to_camera_matrix,
    project,
    yaw_to_camera_ry,
)
from roadlabel.labels import Box3D, Calibration, FrameLabels, LabelDocument, wrap_yaw

TYPES = {"car": "Car", "van": "Van", "truck": "Truck", "pedestrian": "Pedestrian",
         "cyclist": "Cyclist", "tram": "Tram", "person_sitting": "Person_sitting"}
_CATEGORY = {v: k for k, v in TYPES.items()}
SIDECAR = "roadlabel_sequences.json"


def export(documents: Sequence[LabelDocument],
           calibrations: Mapping[str, Calibration]) -> dict[str, bytes]:
    """Label, calibration and sidecar files by relative path."""
    files: dict[str, bytes] = {}
    sidecar: dict[str, Any] = {}
    for number, (seq, frames) in enumerate(by_sequence(documents).items()):
        cal = _calibration(calibrations, seq)
        name = f"{number:04d}"
        tracks = sorted({b.track_id for f in frames for b in f.boxes})
        ids = {t: i for i, t in enumerate(tracks)}
        lines = [_line(cal, f.frame_index, ids[b.track_id], b) for f in frames for b in f.boxes]
        files[f"label_02/{name}.txt"] = "".join(x for x in lines if x).encode()
        files[f"calib/{name}.txt"] = _calib_text(cal).encode()
        sidecar[name] = {"sequence_id": seq, "track_ids": tracks, "width": cal.width,
                         "height": cal.height,
                         "timestamps": {str(f.frame_index): f.timestamp_s for f in frames}}
    files[SIDECAR] = json.dumps(sidecar, indent=2, sort_keys=True).encode()
    return files


def load(files: Mapping[str, bytes]) -> list[LabelDocument]:
    """Read files written by ``export`` (or plain KITTI, with numeric ids) back into ego."""
    sidecar = json.loads(files[SIDECAR]) if SIDECAR in files else {}
    sequences: dict[str, list[FrameLabels]] = {}
    for path in sorted(p for p in files if p.startswith("label_02/")):
        name = path.split("/")[-1].removesuffix(".txt")
        meta = sidecar.get(name, {})
        cal = parse_calib(files[f"calib/{name}.txt"].decode(), meta.get("width", 0),
                          meta.get("height", 0))
        tracks = meta.get("track_ids")
        boxes: dict[int, list[Box3D]] = {}
        for row in files[path].decode().splitlines():
            frame, box = _parse_line(cal, row.split(), tracks)
            boxes.setdefault(frame, []).append(box)
        stamps = meta.get("timestamps", {})
        indices = sorted({*boxes, *(int(i) for i in stamps)})
        sequences[meta.get("sequence_id", f"kitti-{name}")] = [
            FrameLabels(i, float(stamps.get(str(i), 0.0)), tuple(boxes.get(i, ())))
            for i in indices]
    return to_documents(sequences)


def parse_calib(text: str, width: int, height: int) -> Calibration:
    """Calibration from a calib file written by ``export`` (P2 and Tr_velo_cam)."""
    rows = {k.strip(): [float(v) for v in rest.split()]
            for k, _, rest in (line.partition(":") for line in text.splitlines()) if rest}
    p2, tr = rows["P2"], rows["Tr_velo_cam"]
    r = [[tr[0], tr[1], tr[2]], [tr[4], tr[5], tr[6]], [tr[8], tr[9], tr[10]]]
    t = [tr[3], tr[7], tr[11]]
    # camera_to_ego is the inverse of ego->camera: R^T and -R^T t.
    inv = [[r[j][i] for j in range(3)] for i in range(3)]
    ti = [-sum(inv[i][j] * t[j] for j in range(3)) for i in range(3)]
    return Calibration(p2[0], p2[5], p2[2], p2[6], width, height,
                       (*inv[0], ti[0], *inv[1], ti[1], *inv[2], ti[2], 0.0, 0.0, 0.0, 1.0))


def _calibration(calibrations: Mapping[str, Calibration], seq: str) -> Calibration:
    if seq not in calibrations:
        raise UserError(f"no calibration for sequence {seq!r}",
                        "pass the calibration from the sequence's manifest")
    return calibrations[seq]


def _line(cal: Calibration, frame: int, track: int, b: Box3D) -> str:
    rect = box_2d(cal, b)
    if rect is None:
        return ""
    bottom = ego_to_camera(cal, (b.x, b.y, b.z - b.height / 2.0))
    ry = yaw_to_camera_ry(cal, b.yaw)
    alpha = wrap_yaw(ry - math.atan2(bottom[0], bottom[2]))
    values = [alpha, *rect, b.height, b.width, b.length, *bottom, ry, b.score]
    kind = TYPES.get(b.category, b.category.replace(" ", "_"))
    return f"{frame} {track} {kind} {_truncation(cal, b, rect):.2f} 3 " + " ".join(
        f"{v:.6f}" for v in values) + "\n"


def _truncation(cal: Calibration, b: Box3D, rect: tuple[float, ...]) -> float:
    full = [project(cal, ego_to_camera(cal, p)) for p in box_corners(b)]
    us = [p[0] for p in full if p]
    vs = [p[1] for p in full if p]
    area = (max(us) - min(us)) * (max(vs) - min(vs))
    inside = (rect[2] - rect[0]) * (rect[3] - rect[1])
    return 0.0 if area <= 0 else max(0.0, min(1.0, 1.0 - inside / area))


def _parse_line(cal: Calibration, f: list[str],
                tracks: list[str] | None) -> tuple[int, Box3D]:
    frame, track, kind = int(f[0]), int(f[1]), f[2]
    h, w, length, x, y, z, ry = (float(v) for v in f[10:17])
    score = float(f[17]) if len(f) > 17 else 1.0
    cx, cy, cz = camera_to_ego(cal, (x, y, z))
    return frame, Box3D(tracks[track] if tracks else str(track), _CATEGORY.get(kind, kind),
                        cx, cy, cz + h / 2.0, length, w, h, camera_ry_to_yaw(cal, ry), score)


def _calib_text(cal: Calibration) -> str:
    p = [cal.fx, 0.0, cal.cx, 0.0, 0.0, cal.fy, cal.cy, 0.0, 0.0, 0.0, 1.0, 0.0]
    tr = ego_to_camera_matrix(cal)[:12]
    fmt = " ".join
    rows = [f"P{i}: {fmt(f'{v:.12e}' for v in p)}" for i in range(4)]
    rows.append("R_rect: " + fmt(f"{v:.12e}" for v in (1, 0, 0, 0, 1, 0, 0, 0, 1)))
    rows.append("Tr_velo_cam: " + fmt(f"{v:.12e}" for v in tr))
    rows.append("Tr_imu_velo: " + fmt(f"{v:.12e}" for v in (1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0)))
    return "\n".join(rows) + "\n"
