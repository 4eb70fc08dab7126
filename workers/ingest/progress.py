"""A human progress line per video (frames/s and ETA), for the CLI's stderr."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class ProgressEvent:
    """Where one video stands, sent after each span it finishes."""

    position: int
    total: int
    source: str
    frames_done: int
    frames_total: int
    elapsed_s: float
    status: str


class ProgressPrinter:
    """Prints one line per update; on a terminal it redraws the line in place."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()

    def __call__(self, event: ProgressEvent) -> None:
        """Print where `event`'s video stands."""
        end = "\r" if self.tty and event.status == "running" else "\n"
        self.stream.write(format_event(event) + end)
        self.stream.flush()


def format_event(e: ProgressEvent) -> str:
    """`ingest [2/5] clip.mp4: 40/89 frames, 120.0 frames/s, ETA 0.4 s`."""
    name = e.source.rsplit("/", 1)[-1]
    head = f"ingest [{e.position + 1}/{e.total}] {name}:"
    if e.status == "failed":
        return f"{head} failed"
    rate = e.frames_done / e.elapsed_s if e.elapsed_s > 0 else 0.0
    left = max(0, e.frames_total - e.frames_done)
    eta = f"ETA {left / rate:.1f} s" if rate > 0 and e.status == "running" else e.status
    return f"{head} {e.frames_done}/{e.frames_total} frames, {rate:.1f} frames/s, {eta}"
