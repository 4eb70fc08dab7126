"""Documents that cannot be stored (NaN, Inf, NUL) or are not the task's (no frames, another
sequence, missing frames) are refused with field details, over real gRPC and PostgreSQL; a
heartbeat with such a draft still extends its lease."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from grpc_status import rpc_status

from roadlabel.config import S3Settings
from roadlabel.v1 import annotator_pb2, labels_pb2, review_pb2, tasks_pb2
from tests.integration.conftest import run
from tests.integration.scheduler.harness import (
    Env,
    car_document,
    field_violations,
    lease,
    register,
    scheduler_env,
)


async def submit(env: Env, user: str, leased: Any, doc: labels_pb2.LabelDocument | None,
                 key: str | None = None) -> Any:
    c = env.client(user)
    request = annotator_pb2.SubmitRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
        idempotency_key=key or str(uuid.uuid4()), document_version=leased.task.document_version)
    if doc is not None:
        request.labels.CopyFrom(doc)
    return await c.annotator.Submit(request, metadata=c.metadata, timeout=10)


async def heartbeat(env: Env, user: str, leased: Any, draft: labels_pb2.LabelDocument) -> Any:
    c = env.client(user)
    return await c.annotator.Heartbeat(annotator_pb2.HeartbeatRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token, draft=draft),
        metadata=c.metadata, timeout=5)


async def refused_fields(call: Any) -> list[str]:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call
    return field_violations(refused.value)


def full_document(leased: Any, sequence: str = "seq1") -> labels_pb2.LabelDocument:
    t = leased.task
    return car_document(sequence, t.first_frame, t.end_frame)


async def task_row(env: Env, task_id: str) -> Any:
    return await env.replica.pool.fetchrow(
        "SELECT stage, document_version, document->>'sequence_id' AS sequence_id,"
        " leased_until IS NOT NULL AS leased FROM tasks WHERE task_id = $1", task_id)


def test_unstorable_numbers_and_text_are_refused_naming_every_field(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            doc = full_document(leased)
            doc.frames[0].boxes[0].score = float("nan")
            doc.frames[1].timestamp_s = float("inf")
            doc.frames[2].boxes[0].length = float("-inf")
            doc.frames[3].boxes[0].attributes["occlusion"] = "no\x00ne"
            doc.frames[4].lanes.add(lane_id="l1", type=labels_pb2.LANE_TYPE_SOLID, points_ego=[
                labels_pb2.Point3(x=0, y=0, z=0), labels_pb2.Point3(x=5, y=0, z=0)],
                points_image=[labels_pb2.Point2(x=float("nan"), y=0)])
            fields = await refused_fields(submit(env, "annotator-1", leased, doc))
            assert {"labels.frames[0].boxes[0].score", "labels.frames[1].timestamp_s",
                    "labels.frames[2].boxes[0].length",
                    "labels.frames[3].boxes[0].attributes.occlusion",
                    "labels.frames[4].lanes[0].points_image"} <= set(fields)
            assert await refused_fields(submit(env, "annotator-1", leased, full_document(leased),
                                               key="k\x00")) == ["idempotency_key"]
            # Nothing was stored and the lease holds: the fixed document goes through.
            assert (await task_row(env, leased.task.task_id))["document_version"] == 0
            ok = await submit(env, "annotator-1", leased, full_document(leased))
            assert ok.next_stage == tasks_pb2.STAGE_REVIEW

    run(scenario())


def test_a_bad_draft_is_not_saved_but_the_heartbeat_still_extends_the_lease(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            good = full_document(leased)
            assert (await heartbeat(env, "annotator-1", leased, good)).draft_version == 1
            pool = env.replica.pool
            before = await pool.fetchval("SELECT expires_at FROM leases WHERE lease_id = $1",
                                         uuid.UUID(leased.lease.lease_id))
            bad = full_document(leased)
            bad.frames[1].boxes[0].center.x = float("nan")
            bad.frames[2].boxes[0].track_id = "car\x001"
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await heartbeat(env, "annotator-1", leased, bad)
            assert set(field_violations(refused.value)) == {
                "draft.frames[1].boxes[0].center.x", "draft.frames[2].boxes[0].track_id"}
            assert "lease was extended" in (refused.value.details() or "")
            after = await pool.fetchval("SELECT expires_at FROM leases WHERE lease_id = $1",
                                        uuid.UUID(leased.lease.lease_id))
            assert after > before
            status = rpc_status.from_call(refused.value)  # type: ignore[arg-type]
            extended = tasks_pb2.LeaseInfo()
            assert status is not None and status.details[1].Unpack(extended)
            assert extended.expires_at.ToDatetime().timestamp() == pytest.approx(
                after.timestamp(), abs=1e-3)
            draft = await pool.fetchrow("SELECT version, document FROM drafts")
            assert draft["version"] == 1  # the last good draft is kept
            ok = await submit(env, "annotator-1", leased, good)
            assert not ok.replayed

    run(scenario())


def test_documents_that_are_not_the_tasks_are_refused(database_url: str,
                                                     s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=10, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            assert await refused_fields(submit(env, "annotator-1", leased, None)) == [
                "labels.frames"]
            assert await refused_fields(submit(
                env, "annotator-1", leased, full_document(leased, "some-other-seq"))) == [
                "labels.sequence_id"]
            partial = full_document(leased)
            del partial.frames[1:3]
            assert await refused_fields(submit(env, "annotator-1", leased, partial)) == [
                "labels.frames"]
            row = await task_row(env, leased.task.task_id)
            assert (row["document_version"], row["leased"]) == (0, True)
            # An empty sequence_id means the task's, and is stored as the task's.
            await submit(env, "annotator-1", leased, full_document(leased, ""))
            assert (await task_row(env, leased.task.task_id))["sequence_id"] == "seq1"

    run(scenario())


def test_a_review_correction_must_be_the_tasks_document(database_url: str,
                                                       s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            annotated = await lease(env, "annotator-1")
            await submit(env, "annotator-1", annotated, full_document(annotated))
            leased = await lease(env, "reviewer-1")
            c = env.client("reviewer-1")
            request = review_pb2.SubmitReviewRequest(
                lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
                idempotency_key="r-1", document_version=leased.task.document_version,
                verdict=review_pb2.VERDICT_APPROVE, corrected=labels_pb2.LabelDocument())
            assert await refused_fields(c.review.SubmitReview(
                request, metadata=c.metadata, timeout=10)) == ["corrected.frames"]
            assert (await task_row(env, leased.task.task_id))["stage"] == "review"

    run(scenario())
