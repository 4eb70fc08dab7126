"""Turning a decoded frame into stored image bytes: rotate, resize, encode, deterministically.

FFmpeg's mjpeg and png encoders with one thread and a fixed quantiser give the same bytes for
the same pixels, so re-ingesting a video reproduces every frame hash.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import av
import numpy as np
from av.video.reformatter import VideoReformatter

_PIX_FMT = {"jpeg": "yuvj420p", "png": "rgb24"}
_CODEC = {"jpeg": "mjpeg", "png": "png"}
_TIME_BASE = Fraction(1, 1)


class ImageEncoder:
    """Encodes frames of one span at a fixed output size, codec and quality."""

    def __init__(self, codec: str, width: int, height: int, rotation: int, jpeg_q: int) -> None:
        self.codec, self.width, self.height = codec, width, height
        self.rotation = rotation % 360
        # Resize before rotating: the scaler then sees the stored (unrotated) orientation.
        turned = self.rotation in (90, 270)
        self._scaled = (height, width) if turned else (width, height)
        self._ctx = _open_encoder(codec, width, height, jpeg_q)
        self._count = 0
        # One reformatter per span keeps its scaler context: building one per frame costs more
        # than the conversion itself.
        self._reformatter = VideoReformatter()

    def encode(self, frame: av.VideoFrame) -> bytes:
        """The encoded image of `frame`, rotated to display orientation and resized."""
        out = self._prepare(frame)
        out.pts, out.time_base = self._count, _TIME_BASE  # encoder wants increasing pts
        self._count += 1
        packets = self._ctx.encode(out)
        return b"".join(bytes(p) for p in packets)

    def _prepare(self, frame: av.VideoFrame) -> av.VideoFrame:
        w, h = self._scaled
        fmt = _PIX_FMT[self.codec]
        # Same size: only pixel format and range change, no filter taps are needed.
        interp = "POINT" if (frame.width, frame.height) == (w, h) else "BICUBIC"
        if not self.rotation:
            return self._reformatter.reformat(
                frame, width=w, height=h, format=fmt, interpolation=interp
            )
        rgb = self._reformatter.reformat(
            frame, width=w, height=h, format="rgb24", interpolation=interp
        )
        turned: Any = np.ascontiguousarray(np.rot90(rgb.to_ndarray(), k=self.rotation // 90))
        return av.VideoFrame.from_ndarray(turned, format="rgb24").reformat(format=fmt)


def _open_encoder(codec: str, width: int, height: int, jpeg_q: int) -> Any:
    ctx: Any = av.codec.CodecContext.create(_CODEC[codec], "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, _PIX_FMT[codec]
    ctx.time_base = _TIME_BASE
    ctx.thread_count = 1  # determinism and fair per-core accounting
    if codec == "jpeg":
        ctx.qscale = True
        ctx.options = {"qmin": str(jpeg_q), "qmax": str(jpeg_q)}
    ctx.open()
    return ctx
