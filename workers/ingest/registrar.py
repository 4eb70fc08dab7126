"""How ingest hands a finished sequence to the scheduler, behind a small interface."""

from __future__ import annotations

from typing import Protocol

from roadlabel.manifest import SequenceManifest


class Registrar(Protocol):
    """Creates the tasks of a sequence; must be idempotent (a resumed ingest registers again)."""

    def register(self, manifest: SequenceManifest, segments: list[tuple[int, int]]) -> None:
        """Record the sequence and its segments (half-open frame ranges) as tasks."""


class InMemoryRegistrar:
    """Keeps registrations in a dict, last one per sequence wins (for tests and dry runs)."""

    def __init__(self) -> None:
        self.sequences: dict[str, tuple[SequenceManifest, list[tuple[int, int]]]] = {}
        self.calls = 0

    def register(self, manifest: SequenceManifest, segments: list[tuple[int, int]]) -> None:
        """Store the manifest and segments under the sequence id."""
        self.calls += 1
        self.sequences[manifest.sequence_id] = (manifest, list(segments))
