"""Idempotency keys: a replay is the same request on the same lease; any other reuse of a key
is refused (never answered with another submission's result), also under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import grpc
import pytest

from roadlabel.config import S3Settings
from roadlabel.v1 import annotator_pb2, review_pb2
from tests.integration.conftest import run
from tests.integration.scheduler.harness import (
    Env,
    car_document,
    field_violations,
    register,
    scheduler_env,
)


async def lease(env: Env, user: str) -> Any:
    c = env.client(user)
    return await c.annotator.Lease(annotator_pb2.LeaseRequest(), metadata=c.metadata,
                                   timeout=5)


async def submit(env: Env, user: str, leased: Any, key: str, dx: float = 1.0) -> Any:
    c = env.client(user)
    t = leased.task
    return await c.annotator.Submit(annotator_pb2.SubmitRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
        idempotency_key=key, document_version=t.document_version,
        labels=car_document(t.sequence_id, t.first_frame, t.end_frame, dx=dx)),
        metadata=c.metadata, timeout=10)


async def review(env: Env, user: str, leased: Any, key: str, approve: bool) -> Any:
    c = env.client(user)
    return await c.review.SubmitReview(review_pb2.SubmitReviewRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
        idempotency_key=key, document_version=leased.task.document_version,
        verdict=review_pb2.VERDICT_APPROVE if approve else review_pb2.VERDICT_REJECT,
        comments=[] if approve else ["wrong"]), metadata=c.metadata, timeout=10)


def assert_key_refused(error: grpc.aio.AioRpcError) -> None:
    assert field_violations(error) == ["idempotency_key"]
    assert "fresh key" in (error.details() or "")


async def stored(env: Env, task_id: str) -> Any:
    return await env.replica.pool.fetchrow(
        "SELECT stage, document_version, leased_until IS NOT NULL AS leased,"
        " (document->'frames'->0->'boxes'->0->'center'->>0)::float AS x0"
        " FROM tasks WHERE task_id = $1", task_id)


def test_a_key_reused_for_another_task_is_refused_and_that_task_keeps_its_lease(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=10, segment=5, overlap=0)
            a, b = await lease(env, "annotator-1"), await lease(env, "annotator-1")
            await submit(env, "annotator-1", a, key="k")
            with pytest.raises(grpc.aio.AioRpcError) as reused:
                await submit(env, "annotator-1", b, key="k", dx=0.5)
            assert_key_refused(reused.value)
            row = await stored(env, b.task.task_id)
            assert (row["stage"], row["document_version"], row["leased"]) == ("annotate", 0, True)
            # B's labels are not lost: with a fresh key they go through.
            ok = await submit(env, "annotator-1", b, key="k2", dx=0.5)
            assert not ok.replayed
            assert (await stored(env, b.task.task_id))["x0"] == 10.0 + 0.5 * b.task.first_frame

    run(scenario())


def test_a_replay_needs_the_same_body_and_returns_the_original_result(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            a = await lease(env, "annotator-1")
            first = await submit(env, "annotator-1", a, key="x")
            with pytest.raises(grpc.aio.AioRpcError) as changed:
                await submit(env, "annotator-1", a, key="x", dx=0.3)
            assert_key_refused(changed.value)
            again = await submit(env, "annotator-1", a, key="x")
            assert again.replayed and again.submission_id == first.submission_id

    run(scenario())


def test_a_review_key_reused_for_another_task_is_refused(database_url: str,
                                                         s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=10, segment=5, overlap=0)
            for _ in range(2):
                await submit(env, "annotator-1", await lease(env, "annotator-1"),
                             key=str(uuid.uuid4()))
            r1, r2 = await lease(env, "reviewer-1"), await lease(env, "reviewer-1")
            await review(env, "reviewer-1", r1, "r-1", approve=True)
            with pytest.raises(grpc.aio.AioRpcError) as reused:
                await review(env, "reviewer-1", r2, "r-1", approve=False)
            assert_key_refused(reused.value)
            row = await stored(env, r2.task.task_id)
            assert (row["stage"], row["leased"]) == ("review", True)

    run(scenario())


def test_concurrent_submits_of_two_tasks_with_one_key_accept_exactly_one(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=30, segment=5, overlap=0)
            for i in range(3):
                a, b = await lease(env, "annotator-1"), await lease(env, "annotator-1")
                outcomes = await asyncio.gather(
                    submit(env, "annotator-1", a, key=f"same-{i}"),
                    submit(env, "annotator-1", b, key=f"same-{i}"), return_exceptions=True)
                errors = [o for o in outcomes if isinstance(o, BaseException)]
                assert len(errors) == 1, outcomes
                assert isinstance(errors[0], grpc.aio.AioRpcError)
                assert_key_refused(errors[0])

    run(scenario())


def test_concurrent_identical_submits_are_one_submission_and_one_replay(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=15, segment=5, overlap=0)
            for i in range(3):
                a = await lease(env, "annotator-1")
                one, two = await asyncio.gather(submit(env, "annotator-1", a, key=f"r-{i}"),
                                                submit(env, "annotator-1", a, key=f"r-{i}"))
                assert one.submission_id == two.submission_id
                assert sorted([one.replayed, two.replayed]) == [False, True]

    run(scenario())
