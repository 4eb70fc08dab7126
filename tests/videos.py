"""Small synthetic videos for tests, written with PyAV.

Every frame carries its own index as a pattern (a bright bar whose position moves with the
index, and a grey level that changes with it), so a test can tell decoded frames apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

#: Encoders this PyAV build has, by the codec name the probe reports.
ENCODERS = {"h264": "libx264", "hevc": "libx265", "av1": "libsvtav1", "mpeg4": "mpeg4"}


def encoder_available(codec: str) -> bool:
    """Whether this PyAV build can encode `codec` (by probe name, e.g. 'hevc')."""
    try:
        av.codec.Codec(ENCODERS[codec], "w")
    except Exception:
        return False
    return True


def pattern(index: int, width: int, height: int) -> np.ndarray:
    """An RGB image that encodes `index` visibly and survives lossy compression."""
    img = np.full((height, width, 3), (index * 37) % 200 + 20, dtype=np.uint8)
    bar = max(2, width // 16)
    x = (index * bar) % max(1, width - bar)
    img[:, x : x + bar] = (255, 255, 255)
    img[: height // 4, : width // 4] = (255, 0, 0)  # a marker showing which corner is up-left
    return img


def write_video(
    path: Path,
    *,
    codec: str = "h264",
    width: int = 160,
    height: int = 90,
    fps: int = 25,
    seconds: float = 2.0,
    gop: int = 12,
    pts_ms: Sequence[int] | None = None,
    rotation: int = 0,
    bframes: bool = True,
    with_audio: bool = False,
    faststart: bool = False,
) -> Path:
    """Write a small video; `pts_ms` gives explicit (VFR) timestamps in milliseconds."""
    container_opts = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=container_opts) as out:
        stream: Any = out.add_stream(ENCODERS[codec], rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.codec_context.thread_count = 1
        _codec_options(stream, codec, gop, bframes)
        if rotation:
            stream.set_display_rotation(rotation)
        times = _timestamps(fps, seconds, pts_ms)
        stream.codec_context.time_base = Fraction(1, 1000) if pts_ms is not None else Fraction(
            1, fps
        )
        if with_audio:
            _add_silence(out)
        for i, t in enumerate(times):
            frame = av.VideoFrame.from_ndarray(pattern(i, width, height), format="rgb24")
            frame = frame.reformat(format="yuv420p")
            frame.pts = t
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def write_audio_only(path: Path, seconds: float = 1.0) -> Path:
    """An .mp4 holding only an AAC track."""
    with av.open(str(path), "w") as out:
        _add_silence(out, seconds)
    return path


def _timestamps(fps: int, seconds: float, pts_ms: Sequence[int] | None) -> list[int]:
    if pts_ms is not None:
        return list(pts_ms)
    return list(range(round(fps * seconds)))


def _codec_options(stream: Any, codec: str, gop: int, bfr: bool) -> None:
    if codec == "h264":
        stream.options = {"bf": "2" if bfr else "0", "preset": "ultrafast" if not bfr else "fast",
                          "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0"}
    elif codec == "hevc":
        stream.options = {"preset": "ultrafast",
                          "x265-params": f"keyint={gop}:min-keyint={gop}:log-level=none"}
    elif codec == "av1":
        stream.options = {"preset": "12", "svtav1-params": f"keyint={gop}"}


def _add_silence(out: av.container.OutputContainer, seconds: float = 0.0) -> None:
    audio = out.add_stream("aac", rate=48000)
    if seconds <= 0:
        return
    samples = int(48000 * seconds)
    for start in range(0, samples, 1024):
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate, frame.pts = 48000, start
        out.mux(audio.encode(frame))
    out.mux(audio.encode(None))


def corrupt_middle(src: Path, dst: Path, fraction: float = 0.5, length: int = 400) -> Path:
    """Copy `src` with `length` bytes of garbage written at `fraction` of its size."""
    data = bytearray(src.read_bytes())
    at = int(len(data) * fraction)
    rng = np.random.default_rng(7)
    data[at : at + length] = rng.integers(
        0, 256, size=min(length, len(data) - at), dtype=np.uint8
    ).tobytes()
    dst.write_bytes(bytes(data))
    return dst


def truncate(src: Path, dst: Path, fraction: float = 0.6) -> Path:
    """Copy the first `fraction` of `src` to `dst`."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst
