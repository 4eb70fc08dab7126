"""The pre-label stage of a sequence: frames from the object store to tracked segment labels.

Chunk objects are read once each (a span's frames are contiguous in one chunk), frames are
sliced by their manifest byte ranges and handed to the actor pool as encoded JPEG bytes,
one Ray call per segment. Awaiting the returned ObjectRefs keeps the event loop free.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from roadlabel.labels import LabelDocument
from roadlabel.manifest import SequenceManifest
from roadlabel.objectstore import ObjectStore
from workers.prelabel.pool import PrelabelPool
from workers.tracking import TrackerConfig


async def prelabel_manifest(manifest: SequenceManifest, segments: Sequence[tuple[int, int]],
                            store: ObjectStore, pool: PrelabelPool,
                            tracker: TrackerConfig | None = None
                            ) -> tuple[list[LabelDocument], float]:
    """Pre-label every segment of a sequence; return the documents and the compute seconds."""
    chunks: dict[str, bytes] = {}
    for key in sorted({f.key for f in manifest.frames}):
        chunks[key] = await asyncio.to_thread(store.get, key)
    start = time.perf_counter()
    refs: list[Any] = []
    for first, end in segments:
        frames = manifest.frames[first:end]
        jpegs = [chunks[f.key][f.offset:f.offset + f.length] for f in frames]
        refs.append(pool.submit_segment(manifest.sequence_id, first, jpegs,
                                        manifest.calibration, [f.timestamp_s for f in frames],
                                        tracker))
    docs = [await ref for ref in refs]
    seconds = (time.perf_counter() - start) * len(pool.actors)
    return docs, seconds
