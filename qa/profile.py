"""QA profiles: the versioned thresholds and severities that the checks apply.

A profile is data, not code, so that lineage can record which profile accepted a label
(DESIGN.md, "Lineage"). Class limits are physical limits in a world-fixed frame; when a
document comes without ego poses the checks see motion relative to the ego vehicle and widen
the kinematic limits by the profile's ``ego_*_allowance`` fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal, cast

Severity = Literal["blocking", "warning"]
SEVERITIES: tuple[Severity, ...] = ("blocking", "warning")

CHECKS: tuple[str, ...] = (
    "timestamp_order", "duplicate_track_id", "track_gap", "coverage", "id_switch", "id_reuse",
    "size_change",
    "speed", "acceleration", "yaw_rate", "yaw_flip", "overlap", "below_ground", "floating",
    "lane_jump", "lane_id_switch", "lane_smoothness", "lane_crossing",
)

_DEFAULT_SEVERITY: dict[str, Severity] = {
    "timestamp_order": "blocking", "duplicate_track_id": "blocking", "track_gap": "warning",
    "coverage": "warning",
    "id_switch": "blocking", "id_reuse": "blocking", "size_change": "blocking",
    "speed": "blocking", "acceleration": "warning", "yaw_rate": "warning",
    "yaw_flip": "blocking", "overlap": "blocking", "below_ground": "blocking",
    "floating": "blocking", "lane_jump": "blocking", "lane_id_switch": "blocking",
    "lane_smoothness": "warning", "lane_crossing": "warning",
}


@dataclass(frozen=True)
class ClassLimits:
    """Physical limits for one object class (world frame, SI units)."""

    max_speed_mps: float
    max_accel_mps2: float
    max_yaw_rate_rps: float
    size_tolerance: float  # relative change of length, width or height allowed in a track


@dataclass(frozen=True)
class QAProfile:
    """Every threshold the checks use; ``version`` is recorded with each accepted label."""

    version: str
    classes: Mapping[str, ClassLimits] = field(hash=False)
    default: ClassLimits
    max_overlap_iou: float = 0.10
    ground_z_min_m: float = -0.5  # box bottom (z - height/2) in the ego frame
    ground_z_max_m: float = 0.5
    ground_tolerance_per_m: float = 0.03  # band widens with range: road grade and ego pitch
    max_gap_frames: int = 2  # missing runs up to this are coverage holes, longer are gaps
    teleport_speed_factor: float = 2.0  # a step this many times over max speed is a new object
    teleport_min_m: float = 2.0
    id_switch_min_jump_m: float = 1.0
    id_switch_ratio: float = 0.5  # swapped IDs must explain the motion this much better
    yaw_flip_min_rad: float = 2.6  # ~150 degrees between consecutive boxes
    yaw_jitter_rad: float = 0.05  # heading noise allowed per step on top of the yaw rate
    accel_window_s: float = 0.3  # finite-difference baseline; shorter amplifies label jitter
    ego_speed_allowance_mps: float = 40.0
    ego_accel_allowance_mps2: float = 10.0
    ego_yaw_rate_allowance_rps: float = 0.6
    lane_lateral_jump_m: float = 0.5
    lane_ego_lateral_speed_mps: float = 3.0  # allowance per second of dt without ego poses
    lane_max_turn_deg: float = 25.0
    lane_min_segment_m: float = 0.5  # shorter segments are too noisy to measure a turn
    lane_cross_end_margin_m: float = 2.0  # lanes may touch near their ends (merges, forks)
    severity: Mapping[str, Severity] = field(
        default_factory=lambda: dict(_DEFAULT_SEVERITY), hash=False
    )

    def limits_for(self, category: str) -> ClassLimits:
        """The limits of ``category`` (case-insensitive), or the default limits."""
        return self.classes.get(category.lower(), self.default)

    def severity_of(self, check: str) -> Severity:
        """The severity configured for ``check``; unknown checks are warnings."""
        return self.severity.get(check, "warning")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict that ``from_dict`` reads back to an equal profile."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "classes":
                value = {k: asdict(v) for k, v in value.items()}
            elif f.name == "default":
                value = asdict(value)
            elif f.name == "severity":
                value = dict(value)
            out[f.name] = value
        return out

    def to_json(self) -> str:
        """The profile as a JSON string."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @staticmethod
    def from_dict(data: Mapping[str, Any], base: QAProfile | None = None) -> QAProfile:
        """Read a profile; keys left out keep the value of ``base`` (default profile)."""
        base = DEFAULT_PROFILE if base is None else base
        known = {f.name for f in fields(QAProfile)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown QA profile field(s): {', '.join(unknown)}")
        if not isinstance(data.get("version"), str) or not data["version"]:
            raise ValueError("QA profile needs a non-empty string 'version'")
        changes: dict[str, Any] = {}
        for name, value in data.items():
            if name == "classes":
                changes[name] = _read_classes(value, base)
            elif name == "default":
                changes[name] = _read_limits(value, base.default, "default")
            elif name == "severity":
                changes[name] = _read_severity(value, base.severity)
            elif name == "version":
                changes[name] = value
            else:
                changes[name] = _read_number(name, value, getattr(base, name))
        return replace(base, **changes)

    @staticmethod
    def from_json(text: str, base: QAProfile | None = None) -> QAProfile:
        """Read a profile from a JSON string."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("QA profile JSON must be an object")
        return QAProfile.from_dict(data, base)


def _read_number(name: str, value: Any, current: Any) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"QA profile field {name!r} must be a number, got {value!r}")
    return int(value) if isinstance(current, int) else float(value)


def _read_limits(value: Any, base: ClassLimits, where: str) -> ClassLimits:
    if not isinstance(value, Mapping):
        raise ValueError(f"QA profile {where!r} must be an object")
    names = {f.name for f in fields(ClassLimits)}
    unknown = sorted(set(value) - names)
    if unknown:
        raise ValueError(f"unknown field(s) in QA profile {where!r}: {', '.join(unknown)}")
    numbers = {k: float(_read_number(f"{where}.{k}", v, 0.0)) for k, v in value.items()}
    return replace(base, **numbers)


def _read_classes(value: Any, base: QAProfile) -> dict[str, ClassLimits]:
    if not isinstance(value, Mapping):
        raise ValueError("QA profile 'classes' must be an object")
    out = dict(base.classes)
    for name, limits in value.items():
        key = str(name).lower()
        out[key] = _read_limits(limits, base.classes.get(key, base.default), f"classes.{key}")
    return out


def _read_severity(value: Any, base: Mapping[str, Severity]) -> dict[str, Severity]:
    if not isinstance(value, Mapping):
        raise ValueError("QA profile 'severity' must be an object")
    out = dict(base)
    for check, sev in value.items():
        if sev not in SEVERITIES:
            raise ValueError(f"severity of {check!r} must be 'blocking' or 'warning'")
        out[str(check)] = cast(Severity, sev)
    return out


DEFAULT_PROFILE = QAProfile(
    version="qa-profile/1",
    classes={
        "car": ClassLimits(70.0, 12.0, 1.2, 0.10),
        "truck": ClassLimits(45.0, 8.0, 0.8, 0.10),
        "bus": ClassLimits(40.0, 6.0, 0.8, 0.10),
        "pedestrian": ClassLimits(10.0, 8.0, 6.3, 0.35),
        "cyclist": ClassLimits(20.0, 6.0, 2.0, 0.20),
        "motorcycle": ClassLimits(60.0, 10.0, 2.0, 0.15),
    },
    default=ClassLimits(70.0, 12.0, 3.0, 0.25),
)
