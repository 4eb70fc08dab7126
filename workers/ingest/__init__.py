"""Ingest: frame-exact decoding of driving video on Ray into the object store.

Probe and validate each video, split it at keyframes into spans decoded by separate Ray tasks,
sample frames by presentation timestamp, encode them deterministically, store them in one
chunk object per span, write a manifest per sequence and register its segments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workers.ingest.errors import (
    CorruptVideo,
    DecodeTimeout,
    EmptyFile,
    IngestError,
    LimitExceeded,
    NotAVideo,
    NoVideoStream,
    SourceNotFound,
    UnsupportedCodec,
    UnsupportedContainer,
)
from workers.ingest.options import IngestOptions, Limits, load_calibration
from workers.ingest.progress import ProgressEvent
from workers.ingest.registrar import InMemoryRegistrar, Registrar
from workers.ingest.report import IngestReport, VideoResult
from workers.ingest.storage import SettingsStore

if TYPE_CHECKING:
    from workers.ingest.pipeline import ensure_ray, ingest_videos


def __getattr__(name: str) -> Any:
    # The pipeline imports Ray (seconds); load it only when ingest is actually run.
    if name in ("ingest_videos", "ensure_ray"):
        from workers.ingest import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "CorruptVideo",
    "DecodeTimeout",
    "EmptyFile",
    "InMemoryRegistrar",
    "IngestError",
    "IngestOptions",
    "IngestReport",
    "LimitExceeded",
    "Limits",
    "NoVideoStream",
    "NotAVideo",
    "ProgressEvent",
    "Registrar",
    "SettingsStore",
    "SourceNotFound",
    "UnsupportedCodec",
    "UnsupportedContainer",
    "VideoResult",
    "ensure_ray",
    "ingest_videos",
    "load_calibration",
]
