"""The per-sequence manifest: what ingest produced, frame by frame.

A frame is (sequence_id, index). Its presentation timestamp, the sha256 of its encoded bytes,
the decoder version and where its bytes live (object key + byte range) are recorded, so that a
client fetches any one frame with one ranged GET and a training team can verify every frame.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from roadlabel.labels import Calibration

MANIFEST_SCHEMA = "roadlabel.manifest/v1"


@dataclass(frozen=True)
class FrameRecord:
    """One sampled, encoded frame."""

    index: int
    pts: int
    timestamp_s: float
    sha256: str
    key: str
    offset: int
    length: int


@dataclass(frozen=True)
class VideoInfo:
    """What probing the source video found."""

    container: str
    codec: str
    width: int
    height: int
    duration_s: float
    rotation: int = 0
    frame_rate_mode: str = "cfr"
    avg_fps: float = 0.0


@dataclass(frozen=True)
class SequenceManifest:
    """Everything needed to find, verify and label the frames of one sequence."""

    sequence_id: str
    batch: str
    source_uri: str
    source_sha256: str
    video: VideoInfo
    calibration: Calibration
    sample_hz: float
    image_codec: str
    width: int
    height: int
    decoder_version: str
    frames: tuple[FrameRecord, ...]
    lost_ranges: tuple[tuple[float, float], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise deterministically (same input, same bytes)."""
        d = asdict(self)
        d["schema"] = MANIFEST_SCHEMA
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> SequenceManifest:
        """Parse a manifest written by to_json."""
        d = json.loads(text)
        d.pop("schema", None)
        cal = d.pop("calibration")
        cal["camera_to_ego"] = tuple(cal["camera_to_ego"])
        return SequenceManifest(
            video=VideoInfo(**d.pop("video")),
            calibration=Calibration(**cal),
            frames=tuple(FrameRecord(**f) for f in d.pop("frames")),
            lost_ranges=tuple((float(a), float(b)) for a, b in d.pop("lost_ranges")),
            **d,
        )
