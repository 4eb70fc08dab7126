"""Prometheus counters for operations, shared by every ingest run in a process."""

from __future__ import annotations

from prometheus_client import Counter

FRAMES = Counter("roadlabel_ingest_frames", "Frames sampled, encoded and stored")
BYTES = Counter("roadlabel_ingest_bytes", "Encoded frame bytes written to the object store")
LOST = Counter("roadlabel_ingest_lost_frames", "Selected frames that did not decode")
VIDEOS = Counter("roadlabel_ingest_videos", "Videos finished, by status", ["status"])
SPANS = Counter("roadlabel_ingest_spans", "Spans decoded, by how", ["how"])
