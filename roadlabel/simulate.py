"""Simulated annotation clients over real gRPC: annotators, reviewers and QA.

Used by the demo and the load tests. A simulated annotator starts from the task's draft or
pre-labels, nudges each box as a person correcting it would, heartbeats its draft, and
submits with an idempotency key, retrying on UNAVAILABLE with the same key.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field

import grpc

from roadlabel.client import Client
from roadlabel.v1 import annotator_pb2, labels_pb2, review_pb2, tasks_pb2


@dataclass
class SimStats:
    """What one simulated client did."""

    leased: int = 0
    submitted: int = 0
    refused: int = 0
    heartbeats: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    last_error: str = ""

    def error(self, code: grpc.StatusCode) -> None:
        """Count one error by status code."""
        self.errors[code.name] = self.errors.get(code.name, 0) + 1


def corrected(task: tasks_pb2.Task, rng: random.Random) -> labels_pb2.LabelDocument:
    """The labels an annotator submits: draft or pre-labels with small corrections."""
    doc = labels_pb2.LabelDocument()
    source = task.draft if task.draft.frames else task.prelabels
    doc.CopyFrom(source)
    doc.sequence_id = task.sequence_id
    have = {f.frame_index for f in doc.frames}
    for ref in task.frames:  # every frame of the task appears, labelled or empty
        if ref.frame_index not in have:
            doc.frames.add(frame_index=ref.frame_index, timestamp_s=ref.timestamp_s)
    for frame in doc.frames:
        for box in frame.boxes:
            box.score = 1.0
            box.attributes.clear()  # model hints (e.g. "interpolated") are not label attributes
            box.center.x += rng.uniform(-0.02, 0.02)
            box.center.y += rng.uniform(-0.02, 0.02)
    doc.frames.sort(key=lambda f: f.frame_index)
    return doc


async def lease_or_none(client: Client, stage: tasks_pb2.Stage.ValueType
                        ) -> annotator_pb2.LeaseResponse | None:
    """Lease a task at a stage; None when none is available right now."""
    try:
        leased: annotator_pb2.LeaseResponse = await client.annotator.Lease(
            annotator_pb2.LeaseRequest(stage=stage, request_id=str(uuid.uuid4())),
            metadata=client.metadata,
            timeout=client.deadline_s)
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise
    return leased


async def annotate_one(client: Client, rng: random.Random, stats: SimStats,
                       stage: tasks_pb2.Stage.ValueType = tasks_pb2.STAGE_ANNOTATE) -> bool:
    """Lease one task, heartbeat a draft, submit; False when nothing was available."""
    md, t = client.metadata, client.deadline_s
    leased = await lease_or_none(client, stage)
    if leased is None:
        return False
    stats.leased += 1
    task, lease = leased.task, leased.lease
    doc = corrected(task, rng)
    await client.annotator.Heartbeat(annotator_pb2.HeartbeatRequest(
        lease_id=lease.lease_id, fencing_token=lease.fencing_token, draft=doc,
        active_seconds=1.0), metadata=md, timeout=t)
    stats.heartbeats += 1
    for _attempt in range(3):
        request = annotator_pb2.SubmitRequest(
            lease_id=lease.lease_id, fencing_token=lease.fencing_token,
            idempotency_key=str(uuid.uuid4()), document_version=task.document_version,
            labels=doc, active_seconds=1.0)
        try:
            await _retrying(lambda r=request: client.annotator.Submit(r, metadata=md, timeout=t))
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise
            stats.refused += 1
            doc = _without_tracks(doc, _blocking_tracks(exc))
            continue
        stats.submitted += 1
        return True
    await client.annotator.Release(annotator_pb2.ReleaseRequest(
        lease_id=lease.lease_id, fencing_token=lease.fencing_token,
        reason=annotator_pb2.SKIP_REASON_OTHER, comment="could not resolve QA findings"),
        metadata=md, timeout=t)
    return True


def _blocking_tracks(exc: grpc.aio.AioRpcError) -> set[str]:
    """Track ids named by the QA findings in a refusal's rich error details."""
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    status = rpc_status.from_call(exc)
    tracks: set[str] = set()
    for detail in status.details if status else ():
        failure = error_details_pb2.PreconditionFailure()
        if detail.Unpack(failure):
            for v in failure.violations:
                tracks.update(x for x in v.subject.split(",") if x)
    return tracks


def _without_tracks(doc: labels_pb2.LabelDocument, tracks: set[str]) -> labels_pb2.LabelDocument:
    """The correction a person makes for findings they cannot fix: drop those tracks."""
    out = labels_pb2.LabelDocument()
    out.CopyFrom(doc)
    for frame in out.frames:
        keep = [b for b in frame.boxes if b.track_id not in tracks]
        del frame.boxes[:]
        frame.boxes.extend(keep)
        lanes = [x for x in frame.lanes if x.lane_id not in tracks]
        del frame.lanes[:]
        frame.lanes.extend(lanes)
    return out


async def review_one(client: Client, stage: tasks_pb2.Stage.ValueType, stats: SimStats,
                     approve: bool = True) -> bool:
    """Lease one review/QA task and approve (or reject) it; False when none was available."""
    md, t = client.metadata, client.deadline_s
    leased = await lease_or_none(client, stage)
    if leased is None:
        return False
    stats.leased += 1
    request = review_pb2.SubmitReviewRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
        idempotency_key=str(uuid.uuid4()), document_version=leased.task.document_version,
        verdict=review_pb2.VERDICT_APPROVE if approve else review_pb2.VERDICT_REJECT,
        comments=[] if approve else ["box sizes look off; please re-check"],
        frames_checked=len(leased.task.frames), active_seconds=1.0)
    await _retrying(lambda r=request: client.review.SubmitReview(r, metadata=md, timeout=t))
    stats.submitted += 1
    return True


async def _retrying(call: object, attempts: int = 5) -> object:
    """Retry UNAVAILABLE/DEADLINE_EXCEEDED with backoff; the idempotency key makes it safe."""
    for attempt in range(attempts):
        try:
            return await call()  # type: ignore[operator]
        except grpc.aio.AioRpcError as exc:
            retryable = exc.code() in (grpc.StatusCode.UNAVAILABLE,
                                       grpc.StatusCode.DEADLINE_EXCEEDED)
            if not retryable or attempt == attempts - 1:
                raise
            await asyncio.sleep(0.05 * 2**attempt)
    raise AssertionError("unreachable")


async def drain(clients: list[tuple[Client, str]], rng_seed: int = 0,
                idle_rounds: int = 3, max_rounds: int = 1000) -> dict[str, SimStats]:
    """Run every client until all queues stay empty for idle_rounds rounds."""
    stats = {name: SimStats() for _, name in clients}
    rng = random.Random(rng_seed)
    idle = rounds = 0
    while idle < idle_rounds and rounds < max_rounds:
        rounds += 1
        progress = await asyncio.gather(*(_step(c, name, rng, stats[name]) for c, name in clients))
        idle = 0 if any(progress) else idle + 1
    return stats


async def _step(client: Client, name: str, rng: random.Random, stats: SimStats) -> bool:
    role = name.split("-")[0]
    try:
        if role == "annotator":
            return await annotate_one(client, rng, stats)
        stage = tasks_pb2.STAGE_REVIEW if role == "reviewer" else tasks_pb2.STAGE_QA
        return await review_one(client, stage, stats)
    except grpc.aio.AioRpcError as exc:
        stats.error(exc.code())
        stats.last_error = exc.details() or ""
        if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
            stats.refused += 1
        return exc.code() in (grpc.StatusCode.ABORTED, grpc.StatusCode.FAILED_PRECONDITION)
