"""The JSON form of label documents (schema ``roadlabel.labels/v1``), stable and documented.

Used to store drafts and submissions in PostgreSQL and annotation objects in versioning.
"""

from __future__ import annotations

import math
from typing import Any

from roadlabel.labels import Box3D, FrameLabels, LabelDocument, Lane

SCHEMA = "roadlabel.labels/v1"


class LabelFormatError(ValueError):
    """A label document does not follow the schema; the message names the field."""


def box_to_dict(b: Box3D) -> dict[str, Any]:
    """Serialise one box."""
    return {
        "track_id": b.track_id, "category": b.category,
        "center": [b.x, b.y, b.z], "size": [b.length, b.width, b.height],
        "yaw": b.yaw, "score": b.score, "attributes": dict(b.attributes),
    }


def lane_to_dict(lane: Lane) -> dict[str, Any]:
    """Serialise one lane."""
    return {
        "lane_id": lane.lane_id, "type": lane.lane_type, "color": lane.color,
        "points_ego": [list(p) for p in lane.points_ego],
        "points_image": [list(p) for p in lane.points_image], "score": lane.score,
    }


def document_to_dict(doc: LabelDocument) -> dict[str, Any]:
    """Serialise a whole document."""
    return {
        "schema": SCHEMA, "sequence_id": doc.sequence_id, "first_frame": doc.first_frame,
        "ontology_version": doc.ontology_version, "model_version": doc.model_version,
        "frames": [
            {"frame_index": f.frame_index, "timestamp_s": f.timestamp_s,
             "boxes": [box_to_dict(b) for b in f.boxes],
             "lanes": [lane_to_dict(x) for x in f.lanes]}
            for f in doc.frames
        ],
    }


def document_from_dict(d: dict[str, Any]) -> LabelDocument:
    """Parse a document; raise LabelFormatError naming the first bad field."""
    if d.get("schema", SCHEMA) != SCHEMA:
        raise LabelFormatError(f"schema: expected {SCHEMA}, got {d.get('schema')!r}")
    try:
        frames = tuple(_frame(f, i) for i, f in enumerate(d.get("frames", [])))
        return LabelDocument(
            sequence_id=str(d["sequence_id"]), first_frame=int(d.get("first_frame", 0)),
            frames=frames, ontology_version=str(d.get("ontology_version", "")),
            model_version=str(d.get("model_version", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, LabelFormatError):
            raise
        raise LabelFormatError(f"malformed document: {exc}") from exc


def _frame(f: dict[str, Any], i: int) -> FrameLabels:
    boxes = tuple(_box(b, f"frames[{i}].boxes[{j}]") for j, b in enumerate(f.get("boxes", [])))
    lanes = tuple(_lane(x) for x in f.get("lanes", []))
    return FrameLabels(int(f["frame_index"]), float(f.get("timestamp_s", 0.0)), boxes, lanes)


def _box(b: dict[str, Any], where: str) -> Box3D:
    center, size = b["center"], b["size"]
    if len(center) != 3 or len(size) != 3:
        raise LabelFormatError(f"{where}: center and size need 3 numbers each")
    values = [float(v) for v in (*center, *size, b["yaw"])]
    if not all(math.isfinite(v) for v in values):
        raise LabelFormatError(f"{where}: center, size and yaw must be finite numbers")
    return Box3D(
        track_id=str(b["track_id"]), category=str(b["category"]),
        x=values[0], y=values[1], z=values[2],
        length=values[3], width=values[4], height=values[5], yaw=values[6],
        score=float(b.get("score", 1.0)),
        attributes={str(k): str(v) for k, v in b.get("attributes", {}).items()},
    )


def _lane(x: dict[str, Any]) -> Lane:
    return Lane(
        lane_id=str(x["lane_id"]), lane_type=str(x["type"]), color=str(x.get("color", "white")),
        points_ego=tuple((float(p[0]), float(p[1]), float(p[2])) for p in x["points_ego"]),
        points_image=tuple((float(p[0]), float(p[1])) for p in x.get("points_image", [])),
        score=float(x.get("score", 1.0)),
    )
