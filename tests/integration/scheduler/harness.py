"""A scheduler replica with a project, users and one registered sequence, for tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from roadlabel import ontology
from roadlabel.client import Client, connect
from roadlabel.config import S3Settings
from roadlabel.objectstore import MinioStore
from roadlabel.v1 import annotator_pb2, ingest_pb2, labels_pb2, review_pb2, tasks_pb2
from scheduler.admin import add_user, create_project
from scheduler.app import Replica, start_replica
from scheduler.server import ServerOptions
from scheduler.service import SchedulerConfig
from scheduler.workflow import WorkflowConfig

USERS = {
    "ops-1": ("ops", ["p1"]),
    "annotator-1": ("annotator", ["p1"]),
    "annotator-2": ("annotator", ["p1"]),
    "reviewer-1": ("reviewer", ["p1"]),
    "qa-1": ("qa", ["p1"]),
    "annotator-other": ("annotator", ["p2"]),
}


@dataclass
class Env:
    """A running replica and a client per user."""

    replica: Replica
    target: str
    tokens: dict[str, str]
    clients: dict[str, Client] = field(default_factory=dict)

    def client(self, user: str) -> Client:
        """The client of one user (made on first use)."""
        if user not in self.clients:
            self.clients[user] = connect(self.target, self.tokens[user])
        return self.clients[user]


@asynccontextmanager
async def scheduler_env(database_url: str, s3: S3Settings, lease_ttl_s: float = 30.0,
                        qa_sample_rate: float = 0.0, double_rate: float = 0.0,
                        sweep_interval_s: float = 0.2) -> AsyncIterator[Env]:
    """Start a replica on a free loopback port with the standard users."""
    cfg = SchedulerConfig(lease_ttl_s=lease_ttl_s, workflow=WorkflowConfig(
        qa_sample_rate=qa_sample_rate, double_annotation_rate=double_rate))
    replica = await start_replica(database_url, MinioStore(s3),
                                  ServerOptions(port=0, sweep_interval_s=sweep_interval_s, grace_s=1),
                                  cfg, run_migrations=False)
    try:
        for project in ("p1", "p2"):
            await create_project(replica.pool, project, ontology.default())
        tokens = {u: await add_user(replica.pool, u, role, projects)
                  for u, (role, projects) in USERS.items()}
        env = Env(replica, f"127.0.0.1:{replica.port}", tokens)
        yield env
        for c in env.clients.values():
            await c.close()
    finally:
        await replica.stop()


async def register(env: Env, batch: str = "b1", project: str = "p1", sequence: str = "seq1",
                   n_frames: int = 10, segment: int = 5, overlap: int = 1,
                   prelabels: bool = False, priority: int = 0,
                   deadline: Any = None) -> list[str]:
    """Create a batch and a sequence of n_frames cut into segments; return task ids."""
    from roadlabel.segments import plan_segments

    ops = env.client("ops-1")
    req = ingest_pb2.CreateBatchRequest(batch_id=batch, project_id=project, priority=priority)
    if deadline is not None:
        req.deadline.FromDatetime(deadline)
    await ops.ingest.CreateBatch(req, metadata=ops.metadata, timeout=5)
    segments = plan_segments(n_frames, segment, overlap)
    await ops.ingest.RegisterSequence(ingest_pb2.RegisterSequenceRequest(
        batch_id=batch, sequence_id=sequence, source_uri="file:///x.mp4", decoder_version="t",
        calibration=labels_pb2.Calibration(fx=500, fy=500, cx=320, cy=180, width=640,
                                           height=360, camera_to_ego=[0.0] * 16),
        frames=[ingest_pb2.FrameRecord(frame_index=i, pts=i * 100, timestamp_s=i * 0.1,
                                       sha256=f"{i:064x}", key=f"frames/{sequence}/chunk0",
                                       offset=i * 10, length=10) for i in range(n_frames)],
        segments=[ingest_pb2.SegmentRange(first_frame=a, end_frame=b) for a, b in segments],
        overlap=overlap), metadata=ops.metadata, timeout=5)
    return [f"{batch}/{sequence}/{a:06d}-{b:06d}" for a, b in segments]


def car_document(sequence: str, first: int, end: int, dx: float = 1.0) -> labels_pb2.LabelDocument:
    """One car driving straight ahead at dx m per frame (0.1 s): plausible to every QA check."""
    doc = labels_pb2.LabelDocument(sequence_id=sequence)
    for i in range(first, end):
        f = doc.frames.add(frame_index=i, timestamp_s=i * 0.1)
        f.boxes.add(track_id="car-1", category="car",
                    center=labels_pb2.Point3(x=10.0 + dx * i, y=0.0, z=0.8),
                    length=4.5, width=1.9, height=1.6, yaw=0.0, score=1.0)
    return doc


def field_violations(error: grpc.aio.AioRpcError) -> list[str]:
    """The fields named by an INVALID_ARGUMENT's google.rpc.BadRequest detail."""
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    detail = error_details_pb2.BadRequest()
    assert status is not None and status.details[0].Unpack(detail)
    return [v.field for v in detail.field_violations]


async def lease(env: Env, user: str, stage: int = tasks_pb2.STAGE_UNSPECIFIED
                ) -> annotator_pb2.LeaseResponse:
    """Lease a task as ``user`` (any stage their role allows, or ``stage``)."""
    c = env.client(user)
    return await c.annotator.Lease(annotator_pb2.LeaseRequest(stage=stage),  # type: ignore[arg-type]
                                   metadata=c.metadata, timeout=10)


async def submit(env: Env, user: str, leased: annotator_pb2.LeaseResponse,
                 doc: labels_pb2.LabelDocument | None = None, key: str | None = None,
                 version: int | None = None, token: int | None = None,
                 dx: float = 1.0) -> annotator_pb2.SubmitResponse:
    """Submit labels on a lease: ``doc``, else a plausible car over the task's frames."""
    c = env.client(user)
    t = leased.task
    return await c.annotator.Submit(annotator_pb2.SubmitRequest(
        lease_id=leased.lease.lease_id,
        fencing_token=leased.lease.fencing_token if token is None else token,
        idempotency_key=key or str(uuid.uuid4()),
        document_version=t.document_version if version is None else version,
        labels=doc or car_document(t.sequence_id, t.first_frame, t.end_frame, dx=dx)),
        metadata=c.metadata, timeout=10)


async def review(env: Env, user: str, leased: annotator_pb2.LeaseResponse,
                 verdict: int = review_pb2.VERDICT_APPROVE, key: str | None = None,
                 comments: Sequence[str] = (), corrected: labels_pb2.LabelDocument | None = None,
                 sample: tuple[int, int] = (0, 0)) -> review_pb2.SubmitReviewResponse:
    """Approve (or give ``verdict``) on a review or QA lease."""
    c = env.client(user)
    request = review_pb2.SubmitReviewRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
        idempotency_key=key or str(uuid.uuid4()), document_version=leased.task.document_version,
        verdict=verdict, comments=list(comments),  # type: ignore[arg-type]
        frames_checked=sample[0], frames_with_errors=sample[1])
    if corrected is not None:
        request.corrected.CopyFrom(corrected)
    return await c.review.SubmitReview(request, metadata=c.metadata, timeout=10)
