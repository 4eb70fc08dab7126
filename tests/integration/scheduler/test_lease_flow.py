"""AnnotatorService and ReviewService over real gRPC and PostgreSQL."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from roadlabel.config import S3Settings
from roadlabel.v1 import annotator_pb2, review_pb2, tasks_pb2
from tests.integration.conftest import run
from tests.integration.scheduler.harness import (
    car_document,
    field_violations,
    lease,
    register,
    scheduler_env,
    submit,
)


def test_lease_returns_task_with_presigned_frames_and_submit_moves_to_review(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=10, segment=5, overlap=1)
            leased = await lease(env, "annotator-1")
            task = leased.task
            assert task.stage == tasks_pb2.STAGE_ANNOTATE
            assert (task.first_frame, task.end_frame, task.overlap) == (0, 5, 1)
            assert [f.frame_index for f in task.frames] == [0, 1, 2, 3, 4]
            assert task.frames[2].url.startswith("http://127.0.0.1")
            assert "X-Amz-Signature=" in task.frames[2].url
            assert (task.frames[2].offset, task.frames[2].length) == (20, 10)
            assert leased.lease.fencing_token == 1
            assert leased.lease.heartbeat_interval_s == pytest.approx(10.0)
            result = await submit(env, "annotator-1", leased)
            assert result.next_stage == tasks_pb2.STAGE_REVIEW
            assert result.document_version == 1
            assert not result.replayed

    run(scenario())


def test_replayed_submit_returns_original_result(database_url: str,
                                                 s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env)
            leased = await lease(env, "annotator-1")
            first = await submit(env, "annotator-1", leased, key="k-1")
            again = await submit(env, "annotator-1", leased, key="k-1")
            assert again.replayed and not first.replayed
            assert again.submission_id == first.submission_id
            assert again.next_stage == first.next_stage
            count = await env.replica.pool.fetchval("SELECT count(*) FROM submissions")
            assert count == 1

    run(scenario())


def test_stale_token_and_stale_version_are_aborted(database_url: str,
                                                   s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env)
            leased = await lease(env, "annotator-1")
            with pytest.raises(grpc.aio.AioRpcError) as stale:
                await submit(env, "annotator-1", leased, token=leased.lease.fencing_token + 5)
            assert stale.value.code() == grpc.StatusCode.ABORTED
            with pytest.raises(grpc.aio.AioRpcError) as version:
                await submit(env, "annotator-1", leased, version=7)
            assert version.value.code() == grpc.StatusCode.ABORTED
            assert "version" in (version.value.details() or "")

    run(scenario())


def test_heartbeat_saves_draft_and_expired_lease_is_reclaimed_with_draft(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings, lease_ttl_s=1.0,
                                 sweep_interval_s=0.2) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            first = await lease(env, "annotator-1")
            c1 = env.client("annotator-1")
            draft = car_document("seq1", 0, 5)
            hb = await c1.annotator.Heartbeat(annotator_pb2.HeartbeatRequest(
                lease_id=first.lease.lease_id, fencing_token=first.lease.fencing_token,
                draft=draft), metadata=c1.metadata, timeout=5)
            assert hb.draft_version == 1
            with pytest.raises(grpc.aio.AioRpcError) as none_left:
                await lease(env, "annotator-2")
            assert none_left.value.code() == grpc.StatusCode.NOT_FOUND
            # The client crashes: no more heartbeats. Within TTL + sweep it is re-offered.
            second = None
            for _ in range(50):
                try:
                    second = await lease(env, "annotator-2")
                    break
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.NOT_FOUND
                    await asyncio.sleep(0.1)
            assert second is not None, "expired lease was not re-offered within 5 s"
            assert second.lease.fencing_token == first.lease.fencing_token + 1
            assert second.task.draft == draft  # no work lost
            with pytest.raises(grpc.aio.AioRpcError) as lost:
                await submit(env, "annotator-1", first)
            assert lost.value.code() == grpc.StatusCode.ABORTED

    run(scenario())


def test_review_reject_returns_task_with_comments_and_reviewer_is_never_annotator(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            await submit(env, "annotator-1", leased)
            review = await lease(env, "reviewer-1")
            assert review.task.stage == tasks_pb2.STAGE_REVIEW
            assert len(review.task.draft.frames) == 5  # reviewer sees the submitted labels
            rc = env.client("reviewer-1")
            result = await rc.review.SubmitReview(review_pb2.SubmitReviewRequest(
                lease_id=review.lease.lease_id, fencing_token=review.lease.fencing_token,
                idempotency_key="r-1", document_version=review.task.document_version,
                verdict=review_pb2.VERDICT_REJECT, comments=["car-1 is too long"]),
                metadata=rc.metadata, timeout=5)
            assert result.next_stage == tasks_pb2.STAGE_ANNOTATE
            again = await lease(env, "annotator-2")
            assert list(again.task.review_comments) == ["car-1 is too long"]

    run(scenario())


def test_approval_accepts_and_accepted_task_is_read_only(database_url: str,
                                                         s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings, qa_sample_rate=0.0) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            await submit(env, "annotator-1", leased)
            review = await lease(env, "reviewer-1")
            rc = env.client("reviewer-1")
            req = review_pb2.SubmitReviewRequest(
                lease_id=review.lease.lease_id, fencing_token=review.lease.fencing_token,
                idempotency_key="r-1", document_version=review.task.document_version,
                verdict=review_pb2.VERDICT_APPROVE)
            result = await rc.review.SubmitReview(req, metadata=rc.metadata, timeout=5)
            assert result.next_stage == tasks_pb2.STAGE_ACCEPTED
            for user in ("annotator-1", "annotator-2", "reviewer-1"):
                with pytest.raises(grpc.aio.AioRpcError) as none:
                    await lease(env, user)
                assert none.value.code() == grpc.StatusCode.NOT_FOUND
            req.idempotency_key = "r-2"
            with pytest.raises(grpc.aio.AioRpcError) as done:
                await rc.review.SubmitReview(req, metadata=rc.metadata, timeout=5)
            assert done.value.code() == grpc.StatusCode.ABORTED

    run(scenario())


def test_invalid_labels_get_field_level_details(database_url: str,
                                               s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            doc = car_document("seq1", 0, 5)
            doc.frames[1].boxes[0].category = "spaceship"
            doc.frames[2].boxes[0].length = float("nan")
            doc.frames.add(frame_index=99)
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await submit(env, "annotator-1", leased, doc=doc)
            fields = set(field_violations(bad.value))
            assert "labels.frames[1].boxes[0].category" in fields
            assert "labels.frames[2].boxes[0].length" in fields
            assert "labels.frames[5].frame_index" in fields

    run(scenario())


def test_blocking_qa_findings_refuse_submit_with_details(database_url: str,
                                                        s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            doc = car_document("seq1", 0, 5)
            doc.frames[3].boxes[0].length = 9.0  # a rigid car doubling its length
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await submit(env, "annotator-1", leased, doc=doc)
            assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            status = rpc_status.from_call(refused.value)  # type: ignore[arg-type]
            detail = error_details_pb2.PreconditionFailure()
            assert status is not None and status.details[0].Unpack(detail)
            assert any("car-1" in v.subject for v in detail.violations)
            # The lease is still valid: the annotator fixes the box and submits.
            ok = await submit(env, "annotator-1", leased)
            assert ok.next_stage == tasks_pb2.STAGE_REVIEW

    run(scenario())


def test_skip_with_reason_reaches_qa_lead_queue(database_url: str,
                                               s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            c = env.client("annotator-1")
            await c.annotator.Release(annotator_pb2.ReleaseRequest(
                lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
                reason=annotator_pb2.SKIP_REASON_AMBIGUOUS, comment="is that a trailer?"),
                metadata=c.metadata, timeout=5)
            q = env.client("qa-1")
            skips = await q.review.ListSkips(review_pb2.ListSkipsRequest(project_id="p1"),
                                             metadata=q.metadata, timeout=5)
            assert [(s.user, s.reason, s.comment) for s in skips.skips] == [
                ("annotator-1", annotator_pb2.SKIP_REASON_AMBIGUOUS, "is that a trailer?")]
            again = await lease(env, "annotator-2")  # released work is offered again
            assert again.task.task_id == leased.task.task_id

    run(scenario())


def test_no_two_valid_leases_under_concurrent_lease_calls(database_url: str,
                                                         s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=20, segment=5, overlap=0)  # 4 tasks

            async def try_lease(user: str) -> str | None:
                try:
                    return (await lease(env, user)).task.task_id
                except grpc.aio.AioRpcError as exc:
                    assert exc.code() == grpc.StatusCode.NOT_FOUND
                    return None

            users = ["annotator-1", "annotator-2"] * 5
            got = await asyncio.gather(*(try_lease(u) for u in users))
            leased = [t for t in got if t is not None]
            assert len(leased) == 4 and len(set(leased)) == 4
            active = await env.replica.pool.fetchval(
                "SELECT count(*) FROM leases WHERE state = 'active'")
            assert active == 4

    run(scenario())
