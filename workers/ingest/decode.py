"""Decoding one span: seek to its keyframe, decode in display order, keep its own frames.

A span owns frames with start <= pts < end. Decoding runs past `end` in decode order until a
frame at or after `end` comes out, so open-GOP leading frames that precede the next keyframe in
display order are still produced by the span that owns them; the next span drops them.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from workers.ingest.spans import Span


@dataclass
class DecodeStats:
    """What went wrong while decoding, counted rather than fatal."""

    packet_errors: int = 0
    read_error: str | None = None
    reseeked: bool = False


def span_frames(
    path: Path, span: Span, threads: int, stats: DecodeStats
) -> Iterator[av.VideoFrame]:
    """The decoded frames owned by `span`, in display order, each timestamp once."""
    if span.start is None:
        yield from _owned(path, span, threads, stats, seek=False)
        return
    frames = _owned(path, span, threads, stats, seek=True)
    first = next(frames, None)
    if first is not None and first.pts != span.start:
        # The seek landed after the keyframe (or the keyframe is unreadable): decode from the
        # top of the file instead, which is always correct, just slower.
        frames.close()
        stats.reseeked = True
        yield from _owned(path, span, threads, stats, seek=False)
        return
    if first is not None:
        yield first
        yield from frames


def _owned(
    path: Path, span: Span, threads: int, stats: DecodeStats, seek: bool
) -> Generator[av.VideoFrame, None, None]:
    seen: set[int] = set()
    with av.open(str(path), metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = threads
        if threads != 1:
            stream.codec_context.thread_type = "AUTO"
        if seek and span.start is not None:
            container.seek(span.start, stream=stream, backward=True, any_frame=False)
        for frame in _decoded(container, stream, stats):
            pts = frame.pts
            if pts is None or pts in seen or (span.start is not None and pts < span.start):
                continue
            if span.end is not None and pts >= span.end:
                return
            seen.add(pts)
            yield frame


def _decoded(container: Any, stream: Any, stats: DecodeStats) -> Iterator[av.VideoFrame]:
    """Frames of `stream`; a corrupt packet is skipped, a read error ends the stream."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.error.FFmpegError as exc:
            stats.read_error = str(exc)
            yield from _flush(stream, stats)
            return
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            stats.packet_errors += 1
            continue
        yield from frames


def _flush(stream: Any, stats: DecodeStats) -> list[av.VideoFrame]:
    try:
        return list(stream.codec_context.decode(None))
    except av.error.FFmpegError:
        stats.packet_errors += 1
        return []
