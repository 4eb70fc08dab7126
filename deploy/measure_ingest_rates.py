"""Measure single-core decode and JPEG-encode rates with PyAV, for deploy/capacity_rates.json.

Rates are frames per CPU-second of this process (``time.process_time``), so that other load on
a shared machine does not lower them; decoding and encoding run with one codec thread so the
figure is per core. Decoding is measured on the source video and on an in-memory 1920x1080
H.264 transcode of it (libx264, default settings), because real driving cameras are larger
than the 960x540 sample. Encoding uses the ingest pipeline's own ImageEncoder with the default
IngestOptions (JPEG, fixed quantiser, bicubic resize). Run from the repository root so that
``workers`` imports. Prints one JSON object.

Usage: python deploy/measure_ingest_rates.py VIDEO [--passes 3]
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import time
from collections.abc import Iterator
from pathlib import Path

import av
from av.video.frame import VideoFrame

from workers.ingest.encode import ImageEncoder
from workers.ingest.options import IngestOptions


def _frames(data: bytes) -> Iterator[VideoFrame]:
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.video[0]
        stream.thread_type = "NONE"  # one core: no frame or slice threads
        stream.codec_context.thread_count = 1
        yield from container.decode(stream)


def decode_rate(data: bytes, passes: int) -> tuple[float, int]:
    """Best frames per CPU-second over ``passes`` full decodes, and the frame count."""
    best, count = 0.0, 0
    for _ in range(passes):
        start = time.process_time()
        count = sum(1 for _ in _frames(data))
        best = max(best, count / (time.process_time() - start))
    return best, count


def encode_rate(data: bytes, width: int, height: int, passes: int) -> float:
    """Best frames per CPU-second for the ingest encoder to resize to width x height and encode."""
    frames = list(_frames(data))
    options = IngestOptions()
    best = 0.0
    for _ in range(passes):
        encoder = ImageEncoder(options.image_codec, width, height, 0, options.jpeg_q)
        start = time.process_time()
        for frame in frames:
            encoder.encode(frame)
        best = max(best, len(frames) / (time.process_time() - start))
    return best


def transcode_1080p(data: bytes) -> bytes:
    """The video re-encoded as 1920x1080 H.264, in memory."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as dst:
        stream = dst.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        for frame in _frames(data):
            scaled = frame.reformat(width=1920, height=1080, format="yuv420p")
            scaled.pts = None
            dst.mux(stream.encode(scaled))
        dst.mux(stream.encode(None))
    return out.getvalue()


def main() -> None:
    """Print the measured rates as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", type=Path)
    parser.add_argument("--passes", type=int, default=3)
    args = parser.parse_args()
    source = args.video.read_bytes()
    big = transcode_1080p(source)
    decode_src, count = decode_rate(source, args.passes)
    decode_big, _ = decode_rate(big, args.passes)
    print(json.dumps({
        "video": args.video.name,
        "frames": count,
        "cpu": platform.processor() or platform.machine(),
        "pyav": av.__version__,
        "decode_h264_960x540_fps_per_core": round(decode_src, 1),
        "decode_h264_1920x1080_fps_per_core": round(decode_big, 1),
        "encode_jpeg_960x540_fps_per_core": round(encode_rate(big, 960, 540, args.passes), 1),
        "encode_jpeg_1920x1080_fps_per_core": round(encode_rate(big, 1920, 1080, args.passes), 1),
    }, indent=2))


if __name__ == "__main__":
    main()
