"""Pre-label ingested sequences of a batch and hand the labels to the scheduler, segment by segment.

The driver reads each sequence's manifest from the object store, cuts it into the segments the
batch was ingested with (the same plan as ingest), runs them through the actor pool and
registers each segment's document with the task that starts at its first frame. Registering is
idempotent (a task never leased gets the new pre-labels, a leased one keeps its own), so a
failed or interrupted run is repeated as is.
One sequence failing never stops the others; its reason is reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ray.exceptions import RayError

from roadlabel.errors import ObjectNotFound, UserError
from roadlabel.labels import LabelDocument
from roadlabel.manifest import SequenceManifest
from roadlabel.objectstore import ObjectStore
from roadlabel.registrar import RegistrationRefused
from roadlabel.segments import plan_segments
from workers.prelabel.contract import GPU_PROVIDERS
from workers.prelabel.pool import PrelabelPool
from workers.prelabel.stage import prelabel_manifest
from workers.ray_errors import ray_reason
from workers.tracking import TrackerConfig


class PrelabelSink(Protocol):
    """Where a segment's pre-labels go: the scheduler's task for that segment."""

    async def register_prelabels(self, batch_id: str, sequence_id: str, first_frame: int,
                                 doc: LabelDocument, cpu_seconds: float,
                                 gpu_seconds: float) -> bool:
        """Attach the document to the task (False: the task keeps the pre-labels it has, as
        one already leased does); raise RegistrationRefused saying why it cannot."""


@dataclass(frozen=True)
class PrelabelRun:
    """What to pre-label and how the batch was cut into tasks."""

    batch_id: str
    segment_length: int = 50
    segment_overlap: int = 5
    tracker: TrackerConfig | None = None
    # GPUs each actor holds while its session runs on one; its seconds are then billed as GPU
    # seconds times this share (cost per frame), else as CPU seconds.
    gpu_share: float = 0.0


async def start_actors(pool: PrelabelPool, timeout_s: float) -> list[dict[str, Any]]:
    """Wait until every actor holds its model session; one line when they cannot.

    Work goes to the actors round-robin, so one actor Ray cannot place (more GPUs asked for
    than the cluster has) would hold its segments forever: better to stop before any work.
    """
    try:
        return list(await asyncio.wait_for(asyncio.gather(*pool.info_refs()), timeout_s))
    except TimeoutError:
        raise UserError(
            f"{len(pool.actors)} pre-label actor(s) were not all placed within {timeout_s:.0f} s",
            "check --actors and --gpus-per-actor against the cluster's free CPUs and GPUs, or "
            "raise --start-timeout while GPU nodes scale up") from None
    except RayError as exc:
        raise UserError(f"a pre-label actor could not start ({ray_reason(exc)[:300]})",
                        "check that --model exists at that path on every Ray node") from None


def on_gpu(infos: Sequence[dict[str, Any]]) -> bool:
    """Whether the actors' sessions run on a GPU provider (else ORT fell back to the CPU)."""
    return bool(infos) and all(i["providers"][0] in GPU_PROVIDERS for i in infos)


@dataclass
class SequenceOutcome:
    """One sequence's result, as the command reports it."""

    sequence_id: str
    ok: bool = False
    segments: int = 0  # tasks that got these pre-labels
    kept: int = 0  # tasks that kept theirs (leased already)
    frames: int = 0
    model_version: str = ""
    reason: str = ""


async def prelabel_sequences(sequence_ids: Sequence[str], run: PrelabelRun, store: ObjectStore,
                             pool: PrelabelPool, sink: PrelabelSink,
                             manifest_key: Callable[[str], str]) -> list[SequenceOutcome]:
    """Pre-label and register every segment of each sequence; never raises for one sequence."""
    outcomes = []
    for seq in sequence_ids:
        outcome = SequenceOutcome(seq)
        try:
            manifest = await _manifest(store, manifest_key(seq), seq)
            await _prelabel_one(manifest, run, store, pool, sink, outcome)
            outcome.ok = True
        except (RegistrationRefused, _Refused) as exc:
            outcome.reason = str(exc)
        outcomes.append(outcome)
    return outcomes


class _Refused(Exception):
    """The sequence cannot be pre-labelled as asked (message says why and what to do)."""


async def _manifest(store: ObjectStore, key: str, seq: str) -> SequenceManifest:
    try:
        manifest = SequenceManifest.from_json((await asyncio.to_thread(store.get, key)).decode())
    except ObjectNotFound:
        raise _Refused(f"no manifest at {key}: ingest its video first (roadlabel ingest)"
                       ) from None
    if not manifest.frames:
        raise _Refused(f"sequence {seq} has no frames to pre-label")
    return manifest


async def _prelabel_one(manifest: SequenceManifest, run: PrelabelRun, store: ObjectStore,
                        pool: PrelabelPool, sink: PrelabelSink, outcome: SequenceOutcome) -> None:
    segments = plan_segments(len(manifest.frames), run.segment_length, run.segment_overlap)
    try:
        docs, seconds = await prelabel_manifest(manifest, segments, store, pool, run.tracker)
    except ObjectNotFound as exc:
        raise _Refused(f"frames of sequence {manifest.sequence_id} are missing from the store "
                       f"({exc}): ingest its video again") from None
    except RayError as exc:
        raise _Refused(f"pre-labelling on Ray failed ({ray_reason(exc)[:300]}): run the same "
                       "command again") from None
    per_segment = seconds / len(docs)
    cpu, gpu = ((0.0, per_segment * run.gpu_share) if run.gpu_share > 0
                else (per_segment, 0.0))
    for (first, _end), doc in zip(segments, docs, strict=True):
        if await sink.register_prelabels(run.batch_id, manifest.sequence_id, first, doc, cpu,
                                         gpu):
            outcome.segments += 1
        else:
            outcome.kept += 1
        outcome.model_version = doc.model_version
    outcome.frames = len(manifest.frames)
