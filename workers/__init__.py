"""Ray workers: ingest (probe, decode, sample, encode, store), pre-label and tracking."""

from __future__ import annotations
