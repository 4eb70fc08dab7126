"""Label domain types shared by workers, scheduler, qa and versioning.

Coordinates follow DESIGN.md: boxes and 3D lane points are in the ego frame (ISO 8855:
x forward, y left, z up, metres); yaw is about +z, counter-clockwise from +x, in (-pi, pi].
These are plain dataclasses; ``roadlabel.labels_json`` maps them to and from the documented
JSON schema, and servicers map them to and from protobuf.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LANE_TYPES = ("solid", "dashed", "double_solid", "double_dashed", "solid_dashed", "dashed_solid")
LANE_COLORS = ("white", "yellow", "other")


def wrap_yaw(yaw: float) -> float:
    """Wrap an angle into (-pi, pi]."""
    wrapped = math.remainder(yaw, 2.0 * math.pi)
    return math.pi if wrapped == -math.pi else wrapped


@dataclass(frozen=True)
class Box3D:
    """One 3D cuboid in the ego frame of its frame."""

    track_id: str
    category: str
    x: float
    y: float
    z: float
    length: float
    width: float
    height: float
    yaw: float
    score: float = 1.0
    attributes: dict[str, str] = field(default_factory=dict, hash=False, compare=True)


@dataclass(frozen=True)
class Lane:
    """One lane marking: a 3D polyline in the ego frame plus its 2D image polyline (pixels)."""

    lane_id: str
    lane_type: str
    color: str
    points_ego: tuple[tuple[float, float, float], ...]
    points_image: tuple[tuple[float, float], ...] = ()
    score: float = 1.0


@dataclass(frozen=True)
class FrameLabels:
    """All labels of one frame, identified by its index within the sequence."""

    frame_index: int
    timestamp_s: float
    boxes: tuple[Box3D, ...] = ()
    lanes: tuple[Lane, ...] = ()


@dataclass(frozen=True)
class Calibration:
    """Pinhole intrinsics and the rigid camera-to-ego transform (row-major 4x4)."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    camera_to_ego: tuple[float, ...] = (
        # camera (x right, y down, z forward) -> ego (x forward, y left, z up), 1.5 m high
        0.0, 0.0, 1.0, 0.0,
        -1.0, 0.0, 0.0, 0.0,
        0.0, -1.0, 0.0, 1.5,
        0.0, 0.0, 0.0, 1.0,
    )

    @staticmethod
    def default_for(width: int, height: int) -> Calibration:
        """The documented default: 60 degree horizontal field of view, centred, 1.5 m high."""
        fx = (width / 2.0) / math.tan(math.radians(30.0))
        return Calibration(fx, fx, width / 2.0, height / 2.0, width, height)


@dataclass(frozen=True)
class LabelDocument:
    """The labels of one task's segment, as annotated, reviewed and versioned."""

    sequence_id: str
    first_frame: int
    frames: tuple[FrameLabels, ...]
    ontology_version: str = ""
    model_version: str = ""

    @property
    def frame_indices(self) -> list[int]:
        """Frame indices covered by this document, in order."""
        return [f.frame_index for f in self.frames]
