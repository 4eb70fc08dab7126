"""What a reviewer and an independent annotator are shown, and what a correction must pass."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from roadlabel.config import S3Settings
from roadlabel.v1 import annotator_pb2, review_pb2, tasks_pb2
from scheduler.admin import add_user
from tests.integration.conftest import run
from tests.integration.scheduler.harness import (
    Env,
    car_document,
    lease,
    register,
    review,
    scheduler_env,
    submit,
)


def _error_infos(error: grpc.aio.AioRpcError) -> list[error_details_pb2.ErrorInfo]:
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    assert status is not None
    infos = []
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            infos.append(info)
    return infos


async def _draft_and_release(env: Env, user: str, leased: annotator_pb2.LeaseResponse) -> None:
    c = env.client(user)
    draft = car_document(leased.task.sequence_id, leased.task.first_frame,
                         leased.task.first_frame + 2, dx=5.0)
    await c.annotator.Heartbeat(annotator_pb2.HeartbeatRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token, draft=draft),
        metadata=c.metadata, timeout=5)
    await c.annotator.Release(annotator_pb2.ReleaseRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token),
        metadata=c.metadata, timeout=5)


def test_another_users_draft_is_not_shown_where_work_must_be_independent(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings, double_rate=1.0) as env:
            env.tokens["reviewer-2"] = await add_user(env.replica.pool, "reviewer-2",
                                                      "reviewer", ["p1"])
            await register(env, n_frames=5, segment=5, overlap=0)
            first = await lease(env, "annotator-1")
            await _draft_and_release(env, "annotator-1", first)
            second = await lease(env, "annotator-2")  # a double task: annotated independently
            assert len(second.task.draft.frames) == 0
            c2 = env.client("annotator-2")
            await c2.annotator.Release(annotator_pb2.ReleaseRequest(
                lease_id=second.lease.lease_id, fencing_token=second.lease.fencing_token),
                metadata=c2.metadata, timeout=5)
            mine = await lease(env, "annotator-1")  # their own draft comes back to them
            assert len(mine.task.draft.frames) == 2
            await submit(env, "annotator-1", mine, doc=car_document("seq1", 0, 5, dx=1.05))
            await submit(env, "annotator-2", await lease(env, "annotator-2"))
            r1 = await lease(env, "reviewer-1")
            await _draft_and_release(env, "reviewer-1", r1)
            r2 = await lease(env, "reviewer-2")  # reviews the submitted labels, not r1's edits
            assert len(r2.task.draft.frames) == 5

    run(scenario())


def test_a_reviewers_correction_passes_the_same_inline_qa_as_a_submit(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            await submit(env, "annotator-1", await lease(env, "annotator-1"))
            at_review = await lease(env, "reviewer-1")
            corrected = car_document("seq1", 0, 5)
            corrected.frames[3].boxes[0].length = 9.0  # a car doubling in length for a frame
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await review(env, "reviewer-1", at_review, corrected=corrected)
            assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert "blocking QA finding" in (refused.value.details() or "")
            [info] = _error_infos(refused.value)  # the numbers, not only English text
            assert info.domain == "qa.roadlabel" and info.reason.startswith("QA_")
            assert "3" in info.metadata["frames"].split(",")
            assert info.metadata["track_ids"] == "car-1"
            assert float(info.metadata["value"]) > float(info.metadata["threshold"]) > 0

    run(scenario())


def test_out_of_range_request_fields_are_invalid_arguments(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            c, q = env.client("annotator-1"), env.client("qa-1")
            with pytest.raises(grpc.aio.AioRpcError) as bad_stage:
                await c.annotator.Lease(annotator_pb2.LeaseRequest(
                    stage=99), metadata=c.metadata, timeout=5)  # type: ignore[arg-type]
            assert bad_stage.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            with pytest.raises(grpc.aio.AioRpcError) as bad_page:
                await q.review.ListSkips(review_pb2.ListSkipsRequest(
                    project_id="p1", page_size=-1), metadata=q.metadata, timeout=5)
            assert bad_page.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert tasks_pb2.STAGE_ANNOTATE  # the enum the error message names

    run(scenario())


def test_labels_submitted_just_after_the_lease_lapsed_are_kept_as_the_draft(
        database_url: str, s3_settings: S3Settings) -> None:
    import asyncio

    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings, lease_ttl_s=1.0) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            await asyncio.sleep(1.6)  # the annotator's laptop slept through the heartbeats
            with pytest.raises(grpc.aio.AioRpcError) as late:
                await submit(env, "annotator-1", leased, doc=car_document("seq1", 0, 5, dx=2.0))
            assert late.value.code() == grpc.StatusCode.ABORTED
            assert "kept as the task's draft: Lease again" in (late.value.details() or "")
            again = await lease(env, "annotator-1")
            assert again.task.task_id == leased.task.task_id
            assert [f.boxes[0].center.x for f in again.task.draft.frames] == [
                10.0 + 2.0 * i for i in range(5)]

    run(scenario())


def test_a_rejection_with_only_blank_comments_is_refused(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            await submit(env, "annotator-1", await lease(env, "annotator-1"))
            at_review = await lease(env, "reviewer-1")
            with pytest.raises(grpc.aio.AioRpcError) as blank:
                await review(env, "reviewer-1", at_review, review_pb2.VERDICT_REJECT,
                             comments=["", "  "])
            assert blank.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "says what to fix" in (blank.value.details() or "")

    run(scenario())


def test_whoever_reviewed_a_task_never_qa_checks_it_even_as_admin(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings, qa_sample_rate=1.0) as env:
            env.tokens["admin-1"] = await add_user(env.replica.pool, "admin-1", "admin", ["p1"])
            await register(env, n_frames=5, segment=5, overlap=0)
            await submit(env, "annotator-1", await lease(env, "annotator-1"))
            at_review = await lease(env, "admin-1", tasks_pb2.STAGE_REVIEW)
            done = await review(env, "admin-1", at_review)
            assert done.next_stage == tasks_pb2.STAGE_QA
            with pytest.raises(grpc.aio.AioRpcError) as own:
                await lease(env, "admin-1", tasks_pb2.STAGE_QA)
            assert own.value.code() == grpc.StatusCode.NOT_FOUND
            qa = await lease(env, "qa-1")
            assert qa.task.task_id == at_review.task.task_id

    run(scenario())


def test_a_reviewer_calling_submit_is_pointed_at_submit_review(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            await submit(env, "annotator-1", await lease(env, "annotator-1"))
            at_review = await lease(env, "reviewer-1")
            with pytest.raises(grpc.aio.AioRpcError) as wrong_rpc:
                await submit(env, "reviewer-1", at_review)
            assert wrong_rpc.value.code() == grpc.StatusCode.PERMISSION_DENIED
            assert "ReviewService.SubmitReview" in (wrong_rpc.value.details() or "")

    run(scenario())


def test_checkers_frame_counts_are_checked_and_recorded_for_the_error_rate(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings, qa_sample_rate=1.0) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            await submit(env, "annotator-1", await lease(env, "annotator-1"))
            await review(env, "reviewer-1", await lease(env, "reviewer-1"), sample=(5, 0))
            at_qa = await lease(env, "qa-1")
            with pytest.raises(grpc.aio.AioRpcError) as too_many:
                await review(env, "qa-1", at_qa, sample=(5, 6))
            assert too_many.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            await review(env, "qa-1", at_qa, sample=(5, 1))
            row = await env.replica.pool.fetchrow(
                "SELECT checked, errors FROM (SELECT"
                " sum((payload->>'frames_checked')::int) AS checked,"
                " sum((payload->>'frames_with_errors')::int) AS errors"
                " FROM events WHERE kind = 'qa_sample' AND batch_id = 'b1') AS s")
            assert (row["checked"], row["errors"]) == (10, 1)  # review's 5 and QA's 5

    run(scenario())


def test_the_rework_of_a_rejected_double_task_starts_from_the_rejected_labels(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings, double_rate=1.0) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            await submit(env, "annotator-1", await lease(env, "annotator-1"))
            await submit(env, "annotator-2", await lease(env, "annotator-2"), dx=1.05)
            await review(env, "reviewer-1", await lease(env, "reviewer-1"),
                         review_pb2.VERDICT_REJECT, comments=["box 3 is too long"])
            rework = await lease(env, "annotator-2")
            assert list(rework.task.review_comments) == ["box 3 is too long"]
            assert len(rework.task.draft.frames) == 5  # not an empty start

    run(scenario())


def test_a_lease_retried_with_its_request_id_gets_the_same_lease(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=20, segment=5, overlap=0)
            c = env.client("annotator-1")

            async def lease_as(request_id: str) -> annotator_pb2.LeaseResponse:
                return await c.annotator.Lease(annotator_pb2.LeaseRequest(
                    request_id=request_id), metadata=c.metadata, timeout=5)

            import asyncio

            racing = await asyncio.gather(*(lease_as("attempt-0") for _ in range(3)))
            assert len({r.lease.lease_id for r in racing}) == 1  # a retry racing its attempt
            first = await lease_as("attempt-1")
            retry = await lease_as("attempt-1")  # the first answer was lost on the way
            assert (retry.lease.lease_id, retry.lease.fencing_token) == (
                first.lease.lease_id, first.lease.fencing_token)
            assert retry.task.task_id == first.task.task_id
            other = await lease_as("attempt-2")
            assert other.task.task_id != first.task.task_id
            await submit(env, "annotator-1", first)  # the lease ends: the id is free again
            again = await lease_as("attempt-1")
            assert again.lease.lease_id not in (first.lease.lease_id, other.lease.lease_id)

    run(scenario())
