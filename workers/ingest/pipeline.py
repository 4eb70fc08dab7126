"""Ingesting a batch of videos on Ray: probe, plan spans, decode them in parallel, merge, register.

The driver only plans and merges; probing and decoding run as Ray tasks. Each video advances on
its own, so one bad video (or a crashed worker after its retries) fails that video alone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import ray

from roadlabel.errors import ServiceUnavailable, UserError
from roadlabel.labels import Calibration
from roadlabel.manifest import FrameRecord, SequenceManifest
from roadlabel.objectstore import ObjectStore
from roadlabel.segments import plan_segments
from workers.ingest import metrics
from workers.ingest.options import IMAGE_CODECS, IngestOptions, as_dict, output_size
from workers.ingest.probe import decoder_version
from workers.ingest.progress import ProgressEvent
from workers.ingest.registrar import Registrar
from workers.ingest.report import IngestReport, VideoResult
from workers.ingest.sampling import as_fraction, lost_ranges, select_pts
from workers.ingest.source import SourceRef, materialize, release
from workers.ingest.spans import Span, assign, plan_spans, span_seconds
from workers.ingest.storage import (
    SpanIndex,
    chunk_key,
    index_key,
    manifest_key,
    sequence_id,
    span_prefix,
    travels,
)
from workers.ingest.tasks import Failure, Outcome, Probed, SpanDone, SpanJob, probe_source, run_span
from workers.ray_errors import ray_reason

log = logging.getLogger(__name__)

# Crashed workers are retried; a task's own typed failure comes back as a value, not retried.
_probe_task = ray.remote(num_cpus=1, max_retries=3)(probe_source)
_span_task = ray.remote(num_cpus=1, max_retries=3)(run_span)


ProgressFn = Callable[[ProgressEvent], None]


def ingest_videos(
    paths: Iterable[str],
    batch: str,
    options: IngestOptions | None,
    store: ObjectStore,
    registrar: Registrar | None = None,
    *,
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Ingest every video into `store` and register its segments; never raises for one video."""
    ensure_ray()
    return _Batch(list(paths), batch, options or IngestOptions(), store, registrar, progress).run()


def ensure_ray(attempts: int = 2) -> None:
    """Join RAY_ADDRESS's cluster, or start a local Ray, unless Ray is already up."""
    address = os.environ.get("RAY_ADDRESS") or None
    for attempt in range(attempts):
        if ray.is_initialized():
            return
        try:
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING)
            return
        except (ConnectionError, TimeoutError, RuntimeError) as exc:
            ray.shutdown()
            if attempt == attempts - 1:
                where = f"the Ray cluster at RAY_ADDRESS={address}" if address else "a local Ray"
                first = (str(exc).splitlines() or [""])[0][:200]
                raise ServiceUnavailable(
                    f"could not start or join {where} ({type(exc).__name__}: {first})",
                    "check RAY_ADDRESS, or free CPU/memory and retry",
                ) from exc


@dataclass
class _Video:
    """The driver's state for one video."""

    position: int
    uri: str
    result: VideoResult
    started: float
    probed: Probed | None = None
    digest: str = ""
    size: tuple[int, int] = (0, 0)
    spans: list[Span] = field(default_factory=list)
    selected: list[int] = field(default_factory=list)
    done: dict[int, SpanIndex] = field(default_factory=dict)

    @property
    def seq(self) -> str:
        """The sequence id (set once probed)."""
        return self.result.sequence_id or ""


class _Batch:
    """One run of ingest_videos: the event loop over Ray task results."""

    def __init__(
        self, uris: list[str], batch: str, options: IngestOptions, store: ObjectStore,
        registrar: Registrar | None, progress: ProgressFn | None,
    ) -> None:
        self.batch, self.options, self.store = batch, options, store
        self.registrar, self.progress = registrar, progress
        self.videos = [_Video(i, u, VideoResult(u), time.monotonic()) for i, u in enumerate(uris)]
        self.task_store = store if travels(store) else None
        self.store_ref = ray.put(self.task_store)
        self.inflight: dict[Any, tuple[_Video, str, float]] = {}
        self.queue: deque[tuple[_Video, SpanJob]] = deque()
        self.probes: deque[_Video] = deque()
        cpus = ray.cluster_resources().get("CPU", 1)  # type: ignore[no-untyped-call]
        # Twice the CPUs keeps every worker busy while results are merged, and bounds the
        # chunks waiting in Ray's object store when the driver writes them.
        self.cap = options.max_parallel or max(2, int(cpus) * 2)
        self.counters: dict[str, float] = dict.fromkeys(
            ("frames", "bytes", "lost_frames", "spans_decoded", "spans_resumed",
             "decode_seconds", "peak_rss_mb", "reseeks"), 0.0)

    def run(self) -> IngestReport:
        """Drive every video to done or failed."""
        self.probes.extend(self.videos)
        while self.inflight or self.queue or self.probes:
            self._fill()
            if not self.inflight:
                continue
            ready, _ = ray.wait(list(self.inflight), num_returns=1, timeout=0.5)
            for ref in ready:
                self._settle(ref)
            self._expire(time.monotonic())
        done = sum(v.result.ok for v in self.videos)
        self.counters.update(videos_done=done, videos_failed=len(self.videos) - done)
        return IngestReport(self.batch, [v.result for v in self.videos], self.counters)

    # -- submitting -------------------------------------------------------------------------

    def _submit_probe(self, v: _Video) -> None:
        if self.task_store is None and SourceRef(v.uri).is_s3:
            if not self._guard(v, lambda: materialize(SourceRef(v.uri), self.store)):
                return
        ref = _probe_task.remote(v.uri, self.store_ref, self.options.limits)
        self.inflight[ref] = (v, "probe", time.monotonic())

    def _fill(self) -> None:
        """Submit work up to the cap: spans first (videos finish sooner), then new probes.

        Bounding what is in flight also makes each task's deadline count from when it can run.
        """
        while len(self.inflight) < self.cap and (self.queue or self.probes):
            if not self.queue:
                self._submit_probe(self.probes.popleft())
                continue
            v, job = self.queue.popleft()
            if v.result.status != "running":
                continue
            ref = _span_task.remote(job, self.store_ref)
            self.inflight[ref] = (v, f"span:{job.span.index}", time.monotonic())

    # -- results ----------------------------------------------------------------------------

    def _settle(self, ref: Any) -> None:
        v, what, _ = self.inflight.pop(ref)
        if v.result.status in ("done", "failed"):
            return
        try:
            outcome: Outcome[Any] = ray.get(ref)
        except ray.exceptions.RayError as exc:
            self._fail(v, Failure("WorkerFailed", f"{what} of {v.uri}: {ray_reason(exc)}",
                                  "re-run the same command to resume"))
            return
        if outcome.failure is not None:
            self._fail(v, outcome.failure)
        elif what == "probe":
            self._guard(v, lambda: self._planned(v, outcome.value))  # type: ignore[arg-type]
        else:
            self._guard(v, lambda: self._span_done(v, outcome.value))  # type: ignore[arg-type]

    def _planned(self, v: _Video, probed: Probed) -> None:
        v.probed, p, o = probed, probed.probe, self.options
        v.result.status, v.result.sequence_id = "running", sequence_id(probed.sha256)
        w, h = p.info.width, p.info.height
        if p.info.rotation in (90, 270):
            w, h = h, w
        v.size = output_size(w, h, o.width, o.height)
        v.digest = _digest(o.output_digest())
        if self._already_ingested(v):
            return
        v.selected = select_pts(p.pts, p.tb, as_fraction(o.sample_hz))
        v.spans = plan_spans(p.keyframes, p.tb, o.span_seconds or span_seconds(p.info.duration_s))
        v.result.spans = len(v.spans)
        existing = set(self.store.list(span_prefix(v.seq, v.digest)))
        for span, wanted in zip(v.spans, assign(v.selected, v.spans), strict=True):
            self._plan_span(v, span, wanted, existing)
        self._maybe_finish(v)

    def _plan_span(self, v: _Video, span: Span, wanted: list[int], existing: set[str]) -> None:
        key = index_key(v.seq, v.digest, span.index)
        if key in existing:  # finished by an earlier (crashed or killed) run
            v.done[span.index] = SpanIndex.from_json(self.store.get(key))
            v.result.spans_resumed += 1
            self.counters["spans_resumed"] += 1
        elif not wanted:
            v.done[span.index] = SpanIndex((), ())
        else:
            assert v.probed is not None
            o = self.options
            job = SpanJob(
                v.uri, v.seq, v.digest, span, tuple(wanted), o.image_codec, v.size[0], v.size[1],
                v.probed.probe.info.rotation, o.jpeg_q, o.decoder_threads,
                o.limits.max_worker_rss_mb,
            )
            self.queue.append((v, job))

    def _span_done(self, v: _Video, done: SpanDone) -> None:
        i = done.span
        if done.chunk is not None:  # the store could not travel: the driver writes
            ctype = IMAGE_CODECS[self.options.image_codec]
            self.store.put(chunk_key(v.seq, v.digest, i), done.chunk, ctype)
            self.store.put(index_key(v.seq, v.digest, i), done.index.to_json(), "application/json")
        v.done[i] = done.index
        self.counters["spans_decoded"] += 1
        self.counters["decode_seconds"] += done.seconds
        self.counters["reseeks"] += done.reseeked
        self.counters["peak_rss_mb"] = max(self.counters["peak_rss_mb"], done.peak_rss_mb)
        metrics.SPANS.labels("decoded").inc()
        self._report(v, "running")
        self._maybe_finish(v)

    def _maybe_finish(self, v: _Video) -> None:
        if v.result.status == "running" and len(v.done) == len(v.spans):
            self._finish(v)

    def _finish(self, v: _Video) -> None:
        assert v.probed is not None
        p = v.probed.probe
        records: list[FrameRecord] = []
        lost: list[int] = []
        for span in v.spans:
            idx = v.done[span.index]
            key = chunk_key(v.seq, v.digest, span.index)
            for f in sorted(idx.frames, key=lambda f: f.pts):  # decoders emit display order
                ts = round(float((f.pts - p.pts[0]) * p.tb), 6)
                n = len(records)
                records.append(FrameRecord(n, f.pts, ts, f.sha256, key, f.offset, f.length))
            lost.extend(idx.lost)
        ranges = lost_ranges(lost, p.pts, p.pts[0], p.tb)
        if p.lost_tail_s is not None:
            ranges.append(p.lost_tail_s)
        if not records:
            self._fail(v, Failure("CorruptVideo", f"{v.uri}: no selected frame decoded",
                                  "re-export the video"))
            return
        manifest = self._manifest(v, tuple(records), tuple(ranges))
        self.store.put(manifest_key(v.seq), manifest.to_json().encode(), "application/json")
        self.counters["lost_frames"] += len(lost)
        self._register(v, manifest)

    def _manifest(
        self, v: _Video, frames: tuple[FrameRecord, ...], ranges: tuple[tuple[float, float], ...]
    ) -> SequenceManifest:
        assert v.probed is not None
        o, p = self.options, v.probed.probe
        cal = o.calibration or Calibration.default_for(*v.size)
        extra = {
            "settings_digest": v.digest, "options": as_dict(o), "source_bytes": p.size_bytes,
            "time_base": list(p.time_base), "spans": len(v.spans),
            "decode_errors": sum(i.decode_errors for i in v.done.values()),
        }
        return SequenceManifest(
            v.seq, self.batch, v.uri, v.probed.sha256, p.info, cal, o.sample_hz, o.image_codec,
            v.size[0], v.size[1], decoder_version(), frames, ranges, extra,
        )

    def _already_ingested(self, v: _Video) -> bool:
        """Whether a manifest with these output settings exists; then only re-register it."""
        key = manifest_key(v.seq)
        if not self.store.exists(key):
            return False
        manifest = SequenceManifest.from_json(self.store.get(key).decode())
        if manifest.extra.get("settings_digest") != v.digest:
            return False
        v.result.spans = v.result.spans_resumed = int(manifest.extra.get("spans", 0))
        if manifest.batch != self.batch or manifest.source_uri != v.uri:
            # Registered first: a batch the scheduler refuses must not end up in the manifest.
            manifest = _rebatched(manifest, self.batch, v.uri)
            self._register_tasks(manifest)
            self.store.put(key, manifest.to_json().encode(), "application/json")
            self._done(v, manifest)
            return True
        self._register(v, manifest)
        return True

    def _register(self, v: _Video, manifest: SequenceManifest) -> None:
        self._register_tasks(manifest)
        self._done(v, manifest)

    def _register_tasks(self, manifest: SequenceManifest) -> None:
        segments = plan_segments(len(manifest.frames), self.options.segment_length,
                                 self.options.segment_overlap)
        if self.registrar is not None:
            self.registrar.register(manifest, segments)

    def _done(self, v: _Video, manifest: SequenceManifest) -> None:
        v.result.frames = len(manifest.frames)
        v.result.lost_ranges = [tuple(r) for r in manifest.lost_ranges]  # type: ignore[misc]
        v.result.status = "done"
        v.result.seconds = time.monotonic() - v.started
        metrics.FRAMES.inc(len(manifest.frames))
        metrics.BYTES.inc(sum(f.length for f in manifest.frames))
        metrics.LOST.inc(sum(len(i.lost) for i in v.done.values()))
        metrics.VIDEOS.labels("done").inc()
        self.counters["frames"] += len(manifest.frames)
        self.counters["bytes"] += sum(f.length for f in manifest.frames)
        release(SourceRef(v.uri))
        self._report(v, "done")

    # -- failures ---------------------------------------------------------------------------

    def _fail(self, v: _Video, failure: Failure) -> None:
        v.result.status, v.result.reason = "failed", failure.reason
        v.result.error_type = failure.kind
        v.result.seconds = time.monotonic() - v.started
        for ref, (owner, _, _) in list(self.inflight.items()):
            if owner is v:
                ray.cancel(ref, force=True)
                del self.inflight[ref]
        metrics.VIDEOS.labels("failed").inc()
        release(SourceRef(v.uri))
        self._report(v, "failed")

    def _guard(self, v: _Video, step: Callable[[], object]) -> bool:
        """Run a driver step for one video; a failure there fails that video alone."""
        try:
            step()
        except UserError as exc:
            self._fail(v, Failure(type(exc).__name__, exc.what, exc.todo))
            return False
        except Exception as exc:  # e.g. the object store or registrar went away mid-batch
            log.exception("ingest of %s failed", v.uri)
            self._fail(v, Failure(type(exc).__name__, f"{v.uri}: {exc}",
                                  "fix the cause and re-run the same command to resume"))
            return False
        return True

    def _expire(self, now: float) -> None:
        limit = self.options.limits.task_timeout_s
        for ref, (v, what, started) in list(self.inflight.items()):
            if now - started > limit and ref in self.inflight:
                self._fail(v, Failure("DecodeTimeout", f"{what} of {v.uri} ran over {limit:.0f} s",
                                      "check the file, or raise task_timeout_s"))

    def _report(self, v: _Video, status: str) -> None:
        if self.progress is None:
            return
        frames = v.result.frames or sum(len(i.frames) for i in v.done.values())
        total = len(v.selected) or v.result.frames  # a re-run of a finished video plans nothing
        self.progress(ProgressEvent(v.position, len(self.videos), v.uri, frames, total,
                                    time.monotonic() - v.started, status))


def _digest(options_digest: str) -> str:
    # The decoder version is part of it: another FFmpeg may give other pixels, so other keys.
    return hashlib.sha256(f"{options_digest}/{decoder_version()}".encode()).hexdigest()[:12]


def _rebatched(m: SequenceManifest, batch: str, uri: str) -> SequenceManifest:
    return replace(m, batch=batch, source_uri=uri)
