"""Probing a video: container, codec, size, rotation, timestamps and keyframes, validated.

Probing demuxes every packet of the video stream (no decoding, cheap) so that sampling and span
planning can be decided globally from timestamps before any frame is decoded.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from roadlabel.manifest import VideoInfo
from workers.ingest.errors import (
    CorruptVideo,
    EmptyFile,
    LimitExceeded,
    NotAVideo,
    NoVideoStream,
    UnsupportedCodec,
    UnsupportedContainer,
)
from workers.ingest.options import Limits
from workers.ingest.sampling import ordered_timestamps

_DEMUXERS = {"mov,mp4,m4a,3gp,3g2,mj2": "mp4", "matroska,webm": "mkv"}


def decoder_version() -> str:
    """The decoding stack's version, stored with every frame's hash."""
    return f"pyav-{av.__version__}/ffmpeg-{av.ffmpeg_version_info}"


@dataclass(frozen=True)
class Probe:
    """What a video is, and the timestamps it holds, in display order."""

    info: VideoInfo
    size_bytes: int
    time_base: tuple[int, int]
    pts: tuple[int, ...]
    keyframes: tuple[int, ...]
    lost_tail_s: tuple[float, float] | None = None

    @property
    def tb(self) -> Fraction:
        """The stream's time base as a fraction of a second."""
        return Fraction(*self.time_base)


def probe(path: Path, limits: Limits) -> Probe:
    """Probe and validate `path`; raise a typed IngestError naming what is wrong."""
    size = path.stat().st_size
    if size == 0:
        raise EmptyFile(f"{path} is empty (0 bytes)", "re-export or re-upload the video")
    if size > limits.max_file_bytes:
        raise LimitExceeded(f"{path} is {size} bytes", "raise max_file_bytes or split the video")
    container = _open(path)
    with container:
        stream = _video_stream(container, path)
        info_partial = _check_stream(container, stream, path, limits)
        pts, keys, demux_error = _demux(container, stream)
        declared_s = _declared_end(container, stream)
        tb = Fraction(stream.time_base) if stream.time_base else Fraction(1, 1000)
    if not pts:
        raise CorruptVideo(f"{path}: no video packet could be read", "re-export the video")
    rotation = _first_frame_rotation(path)
    info = _video_info(info_partial, pts, tb, rotation)
    if info.duration_s > limits.max_duration_s:
        raise LimitExceeded(
            f"{path} lasts {info.duration_s:.0f} s, over the {limits.max_duration_s:.0f} s limit",
            "split the video or raise max_duration_s",
        )
    tail = _lost_tail(declared_s, pts, tb, demux_error)
    return Probe(info, size, (tb.numerator, tb.denominator), tuple(pts), tuple(keys), tail)


def _open(path: Path) -> Any:
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise NotAVideo(
            f"{path} is not a readable video ({_reason(exc)})",
            "check it is an MP4/MOV/MKV file and was copied completely",
        ) from exc


def _video_stream(container: Any, path: Path) -> Any:
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        raise NoVideoStream(
            f"{path} has no video stream (streams: {', '.join(kinds)})", "give a video file"
        )
    return container.streams.video[0]


def _check_stream(container: Any, stream: Any, path: Path, limits: Limits) -> dict[str, Any]:
    kind = _container_kind(container)
    if kind not in limits.allowed_containers:
        raise UnsupportedContainer(
            f"{path}: container {container.format.name!r} is not supported",
            f"convert it to one of {', '.join(limits.allowed_containers)}",
        )
    ctx = stream.codec_context
    codec = ctx.codec.canonical_name
    if codec not in limits.allowed_codecs:
        raise UnsupportedCodec(
            f"{path}: video codec {codec!r} is not supported",
            f"re-encode to one of {', '.join(limits.allowed_codecs)}",
        )
    width, height = int(ctx.width), int(ctx.height)
    if width <= 0 or height <= 0:
        raise CorruptVideo(f"{path}: the video stream has no frame size", "re-export the video")
    if width * height > limits.max_pixels:
        raise LimitExceeded(
            f"{path}: {width}x{height} is over the limit of {limits.max_pixels} pixels a frame",
            "downscale the video or raise max_pixels",
        )
    return {"container": kind, "codec": codec, "width": width, "height": height}


def _container_kind(container: Any) -> str:
    kind = str(_DEMUXERS.get(container.format.name, container.format.name))
    brand = str(container.metadata.get("major_brand", "")).strip()
    if kind == "mp4" and brand == "qt":
        return "mov"
    return kind


def _demux(container: Any, stream: Any) -> tuple[list[int], list[int], str | None]:
    """All packet timestamps and keyframe timestamps, in display order; stops at a read error."""
    pts: list[int] = []
    keys: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.pts is None or packet.size == 0 or packet.is_discard:
                continue
            pts.append(packet.pts)
            if packet.is_keyframe:
                keys.append(packet.pts)
    except av.error.FFmpegError as exc:  # truncated or corrupt container: keep what was read
        return ordered_timestamps(pts), sorted(set(keys)), _reason(exc)
    return ordered_timestamps(pts), sorted(set(keys)), None


def _first_frame_rotation(path: Path) -> int:
    """Rotation in degrees counter-clockwise (display matrix) of the first decodable frame."""
    try:
        with av.open(str(path), metadata_errors="ignore") as c:
            stream = c.streams.video[0]
            stream.codec_context.thread_count = 1
            for frame in c.decode(stream):
                return round(getattr(frame, "rotation", 0) or 0) % 360
    except av.error.FFmpegError as exc:
        raise CorruptVideo(f"{path}: no frame decodes ({_reason(exc)})", "re-export it") from exc
    raise CorruptVideo(f"{path}: no frame decodes", "re-export the video")


def _video_info(partial: dict[str, Any], pts: list[int], tb: Fraction, rot: int) -> VideoInfo:
    deltas = [b - a for a, b in itertools.pairwise(pts)]
    step = min(deltas) if deltas else 0
    cfr = all(abs(d - step) <= 1 for d in deltas)
    span = (pts[-1] - pts[0]) * tb
    fps = float((len(pts) - 1) / span) if span > 0 else 0.0
    duration = float(span + (step * tb if deltas else 0))
    return VideoInfo(
        partial["container"], partial["codec"], partial["width"], partial["height"],
        round(duration, 6), rot, "cfr" if cfr else "vfr", round(fps, 6),
    )


def _declared_end(container: Any, stream: Any) -> float | None:
    """Where the container says the video ends, in seconds from its first frame."""
    if stream.duration and stream.time_base:
        return float(stream.duration * Fraction(stream.time_base))
    if container.duration:
        return float(Fraction(container.duration, 1_000_000))
    return None


def _lost_tail(
    declared_s: float | None, pts: list[int], tb: Fraction, demux_error: str | None
) -> tuple[float, float] | None:
    """Seconds declared by the container but never read (a truncated file), if any."""
    last = float((pts[-1] - pts[0]) * tb)
    step = float((pts[-1] - pts[-2]) * tb) if len(pts) > 1 else 0.0
    if declared_s is None:
        return None
    if demux_error is not None or declared_s - last > max(3 * step, 0.25):
        return (round(last, 6), round(declared_s, 6)) if declared_s > last else None
    return None


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc).strip() or type(exc).__name__
