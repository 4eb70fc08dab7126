"""What an ingest run is asked to do: sampling, output images, segments, limits, calibration."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from roadlabel.errors import ConfigError
from roadlabel.labels import Calibration

#: Image codecs the encoder stage writes, with their content types.
IMAGE_CODECS = {"jpeg": "image/jpeg", "png": "image/png"}


@dataclass(frozen=True)
class Limits:
    """Bounds on untrusted input; a video over any of them fails with LimitExceeded."""

    max_pixels: int = 3840 * 2160
    max_duration_s: float = 4 * 3600.0
    allowed_codecs: tuple[str, ...] = ("h264", "hevc", "av1")
    allowed_containers: tuple[str, ...] = ("mp4", "mov", "mkv")
    max_file_bytes: int = 64 * 1024**3
    task_timeout_s: float = 600.0
    max_worker_rss_mb: int = 1024

    def __post_init__(self) -> None:
        if not self.max_pixels > 0:
            raise ConfigError(f"max pixels {self.max_pixels} is invalid", "use a positive count")
        if not (self.max_duration_s > 0 and math.isfinite(self.max_duration_s)):
            raise ConfigError(f"max duration {self.max_duration_s} s is invalid",
                              "use a positive number of seconds")


@dataclass(frozen=True)
class IngestOptions:
    """Knobs of one ingest run; every field that changes output bytes is in `output_digest`."""

    sample_hz: float = 10.0
    width: int | None = None
    height: int | None = None
    image_codec: str = "jpeg"
    jpeg_q: int = 3
    segment_length: int = 50
    segment_overlap: int = 5
    calibration: Calibration | None = None
    span_seconds: float | None = None
    decoder_threads: int = 1
    max_parallel: int | None = None
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if not (0 < self.sample_hz <= 1000 and math.isfinite(self.sample_hz)):
            raise ConfigError(f"sample rate {self.sample_hz} Hz is invalid", "use 0 < Hz <= 1000")
        if self.image_codec not in IMAGE_CODECS:
            raise ConfigError(
                f"image codec {self.image_codec!r} is not supported",
                f"use one of {', '.join(IMAGE_CODECS)}",
            )
        if not 2 <= self.jpeg_q <= 31:
            raise ConfigError(f"JPEG quality {self.jpeg_q} is invalid", "use 2 (best)..31")
        for name in ("width", "height"):
            value = getattr(self, name)
            if value is not None and not 16 <= value <= 16384:
                raise ConfigError(f"output {name} {value} is invalid", "use 16..16384 pixels")
        if self.max_parallel is not None and self.max_parallel < 1:
            raise ConfigError(f"max_parallel {self.max_parallel} is invalid", "use 1 or more")
        if self.span_seconds is not None and self.span_seconds <= 0:
            raise ConfigError(f"span length {self.span_seconds} s is invalid", "use > 0 seconds")
        if not 0 <= self.segment_overlap < self.segment_length:
            raise ConfigError(f"segment length {self.segment_length} with overlap "
                              f"{self.segment_overlap} is invalid",
                              "use a length >= 1 and 0 <= overlap < length")

    def output_digest(self) -> str:
        """A short hash of every setting that changes the frames written (keys depend on it)."""
        fields = {
            "hz": self.sample_hz, "w": self.width, "h": self.height,
            "codec": self.image_codec, "q": self.jpeg_q, "span_s": self.span_seconds,
        }
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:12]


def output_size(
    src_w: int, src_h: int, width: int | None, height: int | None
) -> tuple[int, int]:
    """Output size: as asked, or scaled to keep the aspect ratio, rounded to even numbers."""
    if width is None and height is None:
        return src_w, src_h
    if width is not None and height is not None:
        return width, height
    if width is not None:
        return width, max(2, 2 * round(width * src_h / src_w / 2))
    assert height is not None
    return max(2, 2 * round(height * src_w / src_h / 2)), height


def load_calibration(path: Path) -> Calibration:
    """Read a calibration JSON file: fx, fy, cx, cy, width, height, camera_to_ego (16 numbers)."""
    try:
        raw = json.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(
            f"cannot read calibration {path} ({exc.strerror})", "check the path"
        ) from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"calibration {path} is not JSON ({exc.msg})", "fix the file") from exc
    try:
        c2e = tuple(float(x) for x in raw.get("camera_to_ego", Calibration.camera_to_ego))
        cal = Calibration(
            float(raw["fx"]), float(raw["fy"]), float(raw["cx"]), float(raw["cy"]),
            int(raw["width"]), int(raw["height"]), c2e,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"calibration {path} is missing or has a bad field ({exc})",
            "give fx, fy, cx, cy, width, height and camera_to_ego (16 numbers)",
        ) from exc
    if len(cal.camera_to_ego) != 16:
        raise ConfigError(
            f"calibration {path}: camera_to_ego has {len(cal.camera_to_ego)} numbers",
            "give a row-major 4x4 matrix (16 numbers)",
        )
    return cal


def as_dict(options: IngestOptions) -> dict[str, object]:
    """The options that shape the sequence, as plain data for the manifest's `extra`.

    Run-time knobs (parallelism, limits, threads) are left out so that the manifest of a video
    is the same however it was run.
    """
    d = asdict(options)
    keep = ("sample_hz", "width", "height", "image_codec", "jpeg_q", "span_seconds",
            "segment_length", "segment_overlap")
    return {k: d[k] for k in keep}
