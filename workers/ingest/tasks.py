"""The work Ray runs: probe a source, and decode-sample-encode-store one span.

Both return an Outcome instead of raising, so a typed IngestError reaches the driver intact
and is reported per video; only crashes (a killed worker) surface as Ray errors, and those
are retried by Ray (max_retries) because every output key is deterministic.
"""

from __future__ import annotations

import hashlib
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import psutil

from roadlabel.objectstore import ObjectStore
from workers.ingest.decode import DecodeStats, span_frames
from workers.ingest.encode import ImageEncoder
from workers.ingest.errors import IngestError, LimitExceeded
from workers.ingest.options import IMAGE_CODECS, Limits
from workers.ingest.probe import Probe, probe
from workers.ingest.source import SourceRef, file_sha256, materialize
from workers.ingest.spans import Span
from workers.ingest.storage import EncodedFrame, SpanIndex, chunk_key, index_key

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """A typed ingest error, carried as data across the Ray boundary."""

    kind: str
    what: str
    todo: str

    @property
    def reason(self) -> str:
        """One actionable line."""
        return f"{self.kind}: {self.what}; {self.todo}"


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """Either a value or a Failure."""

    value: T | None = None
    failure: Failure | None = None


@dataclass(frozen=True)
class Probed:
    """A probed source with its content hash."""

    probe: Probe
    sha256: str


@dataclass(frozen=True)
class SpanJob:
    """Everything a span task needs; small, so it is cheap to ship."""

    uri: str
    seq: str
    digest: str
    span: Span
    wanted: tuple[int, ...]
    codec: str
    width: int
    height: int
    rotation: int
    jpeg_q: int
    threads: int = 1
    max_rss_mb: int = 1024


@dataclass(frozen=True)
class SpanDone:
    """A finished span; `chunk` is set only when the driver must write it."""

    span: int
    index: SpanIndex
    chunk: bytes | None
    decoded: int
    seconds: float
    peak_rss_mb: float
    reseeked: bool = False
    pids: tuple[int, ...] = field(default_factory=tuple)


def probe_source(uri: str, store: ObjectStore | None, limits: Limits) -> Outcome[Probed]:
    """Fetch (if remote), hash and probe one source."""
    try:
        path = materialize(SourceRef(uri), store)
        return Outcome(Probed(probe(path, limits), file_sha256(path)))
    except IngestError as exc:
        return Outcome(failure=Failure(type(exc).__name__, exc.what, exc.todo))


def run_span(job: SpanJob, store: ObjectStore | None) -> Outcome[SpanDone]:
    """Decode, sample, encode and (when given a store) store one span."""
    start = time.perf_counter()
    try:
        path = materialize(SourceRef(job.uri), store)
        index, chunk, decoded, reseeked = _encode_span(job, path)
    except IngestError as exc:
        return Outcome(failure=Failure(type(exc).__name__, exc.what, exc.todo))
    if store is not None:
        # Chunk first, index last: an index in the store means its chunk is complete.
        i = job.span.index
        store.put(chunk_key(job.seq, job.digest, i), chunk, IMAGE_CODECS[job.codec])
        store.put(index_key(job.seq, job.digest, i), index.to_json(), "application/json")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return Outcome(SpanDone(
        job.span.index, index, None if store is not None else chunk, decoded,
        time.perf_counter() - start, peak, reseeked, (psutil.Process().pid,),
    ))


def _encode_span(job: SpanJob, path: Path) -> tuple[SpanIndex, bytes, int, bool]:
    stats = DecodeStats()
    encoder = ImageEncoder(job.codec, job.width, job.height, job.rotation, job.jpeg_q)
    wanted, done = set(job.wanted), set()
    last = job.wanted[-1] if job.wanted else None
    buf, frames, decoded = bytearray(), [], 0
    proc = psutil.Process()
    for frame in span_frames(path, job.span, job.threads, stats):
        decoded += 1
        if frame.pts is None:
            continue
        if frame.pts in wanted:
            data = encoder.encode(frame)
            digest = hashlib.sha256(data).hexdigest()
            frames.append(EncodedFrame(frame.pts, digest, len(buf), len(data)))
            buf += data
            done.add(frame.pts)
        if decoded % 16 == 0:
            _check_memory(proc, job.max_rss_mb)
        if last is not None and frame.pts >= last:
            break  # nothing later in this span is wanted
    lost = tuple(p for p in job.wanted if p not in done)
    return SpanIndex(tuple(frames), lost, stats.packet_errors), bytes(buf), decoded, stats.reseeked


def _check_memory(proc: psutil.Process, limit_mb: int) -> None:
    rss_mb = proc.memory_info().rss / 2**20
    if rss_mb > limit_mb:
        raise LimitExceeded(
            f"decoding used {rss_mb:.0f} MiB, over the {limit_mb} MiB worker limit",
            "lower the resolution or raise max_worker_rss_mb",
        )
