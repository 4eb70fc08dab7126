"""Validation of submitted labels against the task and the project's ontology."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from roadlabel.labels import Box3D, LabelDocument, Lane


@dataclass(frozen=True)
class Bounds:
    """Plausible ranges for box geometry in the ego frame (metres)."""

    max_abs_xy: float = 250.0
    min_z: float = -10.0
    max_z: float = 10.0
    max_size: float = 30.0
    min_size: float = 0.05


def validate_document(
    doc: LabelDocument,
    first_frame: int | None,
    end_frame: int | None,
    classes: Mapping[str, Mapping[str, Sequence[str]]],
    lane_types: Sequence[str],
    bounds: Bounds = Bounds(),
    root: str = "labels",
    sequence_id: str | None = None,
) -> list[tuple[str, str]]:
    """Field violations as (field path, description); empty when the document is valid.

    With first_frame/end_frame None the frame range is not checked, nor with sequence_id None
    the sequence (the caller has them checked where the task is known, see rl_submit's
    context). root names the document's field in the request ("labels", "corrected").
    """
    out = storage_violations(doc, root) + _task_violations(doc, first_frame, end_frame,
                                                            sequence_id, root)
    seen_frames: set[int] = set()
    track_class: dict[str, str] = {}
    for i, frame in enumerate(doc.frames):
        where = f"{root}.frames[{i}]"
        if frame.frame_index in seen_frames:
            out.append((f"{where}.frame_index", f"frame {frame.frame_index} appears twice"))
        seen_frames.add(frame.frame_index)
        ids: set[str] = set()
        for j, box in enumerate(frame.boxes):
            bw = f"{where}.boxes[{j}]"
            out.extend(_box_violations(bw, box, classes, bounds))
            if not box.track_id:
                out.append((f"{bw}.track_id", "every box needs a track id"))
            elif box.track_id in ids:
                out.append((f"{bw}.track_id", f"track {box.track_id} has two boxes in one frame"))
            ids.add(box.track_id)
            known = track_class.setdefault(box.track_id, box.category)
            if known != box.category:
                out.append((f"{bw}.category",
                            f"track {box.track_id} is '{known}' elsewhere, '{box.category}' here"))
        for j, lane in enumerate(frame.lanes):
            lw = f"{where}.lanes[{j}]"
            if lane_types and lane.lane_type not in lane_types:
                out.append((f"{lw}.type", f"lane type '{lane.lane_type}' is not in the ontology"))
            if len(lane.points_ego) < 2:
                out.append((f"{lw}.points_ego", "a lane needs at least 2 points"))
    return out


def _task_violations(doc: LabelDocument, first_frame: int | None, end_frame: int | None,
                     sequence_id: str | None, root: str) -> list[tuple[str, str]]:
    """A submitted document replaces the task's labels, so it must be the task's: its
    sequence, and every frame of the task (a frame without labels is an empty FrameLabels)."""
    if not doc.frames:
        return [(f"{root}.frames", "the document has no frames: send every frame of the task, "
                 "an empty FrameLabels for a frame without labels")]
    out = []
    if sequence_id is not None and doc.sequence_id not in ("", sequence_id):
        out.append((f"{root}.sequence_id", f"'{doc.sequence_id}' is not the task's sequence "
                    f"'{sequence_id}' (leave it empty to mean the task's)"))
    if first_frame is None or end_frame is None:
        return out
    for i, frame in enumerate(doc.frames):
        if not first_frame <= frame.frame_index < end_frame:
            out.append((f"{root}.frames[{i}].frame_index",
                        f"frame {frame.frame_index} is outside the task [{first_frame}, {end_frame})"))
    missing = sorted(set(range(first_frame, end_frame)) - {f.frame_index for f in doc.frames})
    if missing:
        out.append((f"{root}.frames", f"frames {_spans(missing)} of the task are missing: send "
                    "every frame of the task, an empty FrameLabels for a frame without labels"))
    return out


TIME_TOLERANCE_S = 1e-4  # clients echo the doubles of Task.frames; only rounding may differ


def timestamp_violations(doc: LabelDocument, frame_times: Mapping[int, float],
                         root: str = "labels") -> list[tuple[str, str]]:
    """Frames whose timestamp_s is not their frame's (from ingest): QA's speeds and the
    published timestamps use them, so a client's own guess (a fixed rate, 0) is refused."""
    out = []
    for i, frame in enumerate(doc.frames):
        want = frame_times.get(frame.frame_index)
        if want is not None and not abs(frame.timestamp_s - want) <= TIME_TOLERANCE_S:
            out.append((f"{root}.frames[{i}].timestamp_s",
                        f"{frame.timestamp_s:g} s is not frame {frame.frame_index}'s time "
                        f"{want:.6g} s: send Task.frames[].timestamp_s as leased"))
    return out


def _spans(indices: list[int]) -> str:
    """Sorted frame indices as 'a-b, c' runs."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def storage_violations(doc: LabelDocument, root: str) -> list[tuple[str, str]]:
    """Values a document cannot be stored with: numbers that are not finite (JSON has no NaN
    or Infinity) and strings with NUL characters (PostgreSQL text cannot hold them)."""
    out = [(f"{root}.{name}", _NUL) for name, text in (
        ("sequence_id", doc.sequence_id), ("ontology_version", doc.ontology_version),
        ("model_version", doc.model_version)) if "\x00" in text]
    for i, frame in enumerate(doc.frames):
        where = f"{root}.frames[{i}]"
        if not math.isfinite(frame.timestamp_s):
            out.append((f"{where}.timestamp_s", _NOT_FINITE))
        for j, box in enumerate(frame.boxes):
            out.extend(_box_storage(f"{where}.boxes[{j}]", box))
        for j, lane in enumerate(frame.lanes):
            out.extend(_lane_storage(f"{where}.lanes[{j}]", lane))
    return out


_NOT_FINITE = "must be a finite number (not NaN or infinite)"
_NUL = "must not contain NUL characters"


def _box_storage(where: str, box: Box3D) -> list[tuple[str, str]]:
    numbers = (("center.x", box.x), ("center.y", box.y), ("center.z", box.z),
               ("length", box.length), ("width", box.width), ("height", box.height),
               ("yaw", box.yaw), ("score", box.score))
    out = [(f"{where}.{name}", _NOT_FINITE) for name, v in numbers if not math.isfinite(v)]
    texts = [("track_id", box.track_id), ("category", box.category)]
    texts += [(f"attributes.{k.replace(chr(0), '?')}", k + v) for k, v in box.attributes.items()]
    return out + [(f"{where}.{name}", _NUL) for name, text in texts if "\x00" in text]


def _lane_storage(where: str, lane: Lane) -> list[tuple[str, str]]:
    out = [(f"{where}.lane_id", _NUL)] if "\x00" in lane.lane_id else []
    if not math.isfinite(lane.score):
        out.append((f"{where}.score", _NOT_FINITE))
    for name, points in (("points_ego", lane.points_ego), ("points_image", lane.points_image)):
        if not all(math.isfinite(c) for p in points for c in p):
            out.append((f"{where}.{name}", "lane points must be finite numbers"))
    return out


def _box_violations(where: str, box: object, classes: Mapping[str, Mapping[str, Sequence[str]]],
                    bounds: Bounds) -> list[tuple[str, str]]:
    assert isinstance(box, Box3D)
    out: list[tuple[str, str]] = []
    numbers = (box.x, box.y, box.z, box.length, box.width, box.height, box.yaw)
    if not all(math.isfinite(v) for v in numbers):
        return []  # storage_violations names each such number; no bounds to check
    if box.category not in classes:
        out.append((f"{where}.category", f"class '{box.category}' is not in the project ontology"))
    else:
        allowed = classes[box.category]
        for key, value in box.attributes.items():
            if key not in allowed:
                out.append((f"{where}.attributes.{key}", f"'{key}' is not an attribute of {box.category}"))
            elif allowed[key] and value not in allowed[key]:
                out.append((f"{where}.attributes.{key}", f"'{value}' is not one of {list(allowed[key])}"))
    if abs(box.x) > bounds.max_abs_xy or abs(box.y) > bounds.max_abs_xy:
        out.append((f"{where}.center", f"x/y beyond {bounds.max_abs_xy} m from the ego vehicle"))
    if not bounds.min_z <= box.z <= bounds.max_z:
        out.append((f"{where}.center.z", f"z must be within [{bounds.min_z}, {bounds.max_z}] m"))
    for name, v in (("length", box.length), ("width", box.width), ("height", box.height)):
        if not bounds.min_size <= v <= bounds.max_size:
            out.append((f"{where}.{name}",
                        f"{name} {v} m is outside [{bounds.min_size}, {bounds.max_size}] m"))
    if not -math.pi - 1e-9 <= box.yaw <= math.pi + 1e-9:
        out.append((f"{where}.yaw", "yaw must be in (-pi, pi]"))
    return out
