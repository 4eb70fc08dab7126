"""Validation of submitted labels against the task and the project's ontology."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from roadlabel.labels import LabelDocument


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
) -> list[tuple[str, str]]:
    """Field violations as (field path, description); empty when the document is valid.

    With first_frame/end_frame None the frame range is not checked (the caller has it checked
    where the task is known, see rl_submit's context).
    """
    out: list[tuple[str, str]] = []
    seen_frames: set[int] = set()
    track_class: dict[str, str] = {}
    for i, frame in enumerate(doc.frames):
        where = f"labels.frames[{i}]"
        if (first_frame is not None and end_frame is not None
                and not first_frame <= frame.frame_index < end_frame):
            out.append((f"{where}.frame_index",
                        f"frame {frame.frame_index} is outside the task [{first_frame}, {end_frame})"))
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
            if not all(math.isfinite(c) for p in lane.points_ego for c in p):
                out.append((f"{lw}.points_ego", "lane points must be finite numbers"))
    return out


def _box_violations(where: str, box: object, classes: Mapping[str, Mapping[str, Sequence[str]]],
                    bounds: Bounds) -> list[tuple[str, str]]:
    from roadlabel.labels import Box3D

    assert isinstance(box, Box3D)
    out: list[tuple[str, str]] = []
    numbers = (box.x, box.y, box.z, box.length, box.width, box.height, box.yaw)
    if not all(math.isfinite(v) for v in numbers):
        return [(f"{where}", "center, size and yaw must be finite numbers")]
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
