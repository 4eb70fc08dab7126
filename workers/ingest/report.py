"""The outcome of an ingest batch: one status per video, with an actionable reason on failure."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class VideoResult:
    """How one video ended: `done` with its sequence, or `failed` with why."""

    source: str
    status: str = "pending"
    sequence_id: str | None = None
    frames: int = 0
    lost_ranges: list[tuple[float, float]] = field(default_factory=list)
    reason: str | None = None
    error_type: str | None = None
    spans: int = 0
    spans_resumed: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the video was ingested."""
        return self.status == "done"


@dataclass
class IngestReport:
    """All videos of a batch, in the order given, plus counters for operations."""

    batch: str
    videos: list[VideoResult]
    counters: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every video was ingested."""
        return all(v.ok for v in self.videos)

    @property
    def failed(self) -> list[VideoResult]:
        """The videos that failed."""
        return [v for v in self.videos if not v.ok]
