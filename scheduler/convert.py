"""Protobuf <-> domain conversion; generated types stop here and in the servicers."""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from roadlabel.labels import Box3D, Calibration, FrameLabels, LabelDocument, Lane
from roadlabel.v1 import labels_pb2, tasks_pb2

_LANE_TYPES = {
    labels_pb2.LANE_TYPE_SOLID: "solid", labels_pb2.LANE_TYPE_DASHED: "dashed",
    labels_pb2.LANE_TYPE_DOUBLE_SOLID: "double_solid",
    labels_pb2.LANE_TYPE_DOUBLE_DASHED: "double_dashed",
    labels_pb2.LANE_TYPE_SOLID_DASHED: "solid_dashed",
    labels_pb2.LANE_TYPE_DASHED_SOLID: "dashed_solid",
}
_LANE_TYPES_BACK = {v: k for k, v in _LANE_TYPES.items()}
_COLORS = {labels_pb2.LANE_COLOR_WHITE: "white", labels_pb2.LANE_COLOR_YELLOW: "yellow",
           labels_pb2.LANE_COLOR_OTHER: "other"}
_COLORS_BACK = {v: k for k, v in _COLORS.items()}

STAGE_TO_PB = {
    "annotate": tasks_pb2.STAGE_ANNOTATE, "review": tasks_pb2.STAGE_REVIEW,
    "qa": tasks_pb2.STAGE_QA, "accepted": tasks_pb2.STAGE_ACCEPTED,
}
STAGE_FROM_PB = {v: k for k, v in STAGE_TO_PB.items()}


def document_from_pb(pb: labels_pb2.LabelDocument, first_frame: int = 0) -> LabelDocument:
    """Domain document from its protobuf form."""
    return LabelDocument(
        sequence_id=pb.sequence_id,
        first_frame=first_frame,
        frames=tuple(_frame_from_pb(f) for f in pb.frames),
        ontology_version=pb.ontology_version,
        model_version=pb.model_version,
    )


def _frame_from_pb(f: labels_pb2.FrameLabels) -> FrameLabels:
    return FrameLabels(
        frame_index=f.frame_index,
        timestamp_s=f.timestamp_s,
        boxes=tuple(
            Box3D(b.track_id, b.category, b.center.x, b.center.y, b.center.z, b.length,
                  b.width, b.height, b.yaw, b.score, dict(b.attributes))
            for b in f.boxes
        ),
        lanes=tuple(
            Lane(x.lane_id, _LANE_TYPES.get(x.type, "unspecified"), _COLORS.get(x.color, "other"),
                 tuple((p.x, p.y, p.z) for p in x.points_ego),
                 tuple((p.x, p.y) for p in x.points_image), x.score)
            for x in f.lanes
        ),
    )


def document_to_pb(doc: LabelDocument) -> labels_pb2.LabelDocument:
    """Protobuf form of a domain document."""
    pb = labels_pb2.LabelDocument(sequence_id=doc.sequence_id,
                                  ontology_version=doc.ontology_version,
                                  model_version=doc.model_version)
    for f in doc.frames:
        fp = pb.frames.add(frame_index=f.frame_index, timestamp_s=f.timestamp_s)
        for b in f.boxes:
            fp.boxes.add(
                track_id=b.track_id, category=b.category,
                center=labels_pb2.Point3(x=b.x, y=b.y, z=b.z), length=b.length, width=b.width,
                height=b.height, yaw=b.yaw, score=b.score, attributes=b.attributes)
        for x in f.lanes:
            lp = fp.lanes.add(lane_id=x.lane_id, score=x.score,
                              type=_LANE_TYPES_BACK.get(x.lane_type, 0),
                              color=_COLORS_BACK.get(x.color, 0))
            for p3 in x.points_ego:
                lp.points_ego.add(x=p3[0], y=p3[1], z=p3[2])
            for p2 in x.points_image:
                lp.points_image.add(x=p2[0], y=p2[1])
    return pb


def calibration_to_pb(cal: dict[str, Any]) -> labels_pb2.Calibration:
    """Protobuf calibration from its stored JSON form."""
    return labels_pb2.Calibration(
        fx=cal["fx"], fy=cal["fy"], cx=cal["cx"], cy=cal["cy"], width=cal["width"],
        height=cal["height"], camera_to_ego=list(cal["camera_to_ego"]))


def calibration_from_pb(pb: labels_pb2.Calibration) -> Calibration:
    """Domain calibration from protobuf."""
    return Calibration(pb.fx, pb.fy, pb.cx, pb.cy, pb.width, pb.height,
                       tuple(pb.camera_to_ego) or Calibration(1, 1, 0, 0, 1, 1).camera_to_ego)


def timestamp(iso_or_dt: Any) -> Timestamp:
    """Protobuf Timestamp from a datetime or an ISO-8601 string."""
    from datetime import datetime

    ts = Timestamp()
    value = datetime.fromisoformat(iso_or_dt) if isinstance(iso_or_dt, str) else iso_or_dt
    ts.FromDatetime(value)
    return ts


def finding_to_pb(f: dict[str, Any]) -> tasks_pb2.QAFinding:
    """Protobuf QA finding from its stored JSON form."""
    return tasks_pb2.QAFinding(
        check=str(f["check"]), severity=str(f["severity"]),
        frames=[int(x) for x in f.get("frames", ())],
        track_ids=[str(x) for x in f.get("track_ids", ())],
        value=float(f.get("value", 0.0)), threshold=float(f.get("threshold", 0.0)),
        message=str(f.get("message", "")))
