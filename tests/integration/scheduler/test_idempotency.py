"""Idempotency keys: a replay is the same request on the same lease; any other reuse of a key
is refused (never answered with another submission's result), also under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import grpc
import pytest

from roadlabel.config import S3Settings
from roadlabel.v1 import review_pb2
from tests.integration.conftest import run
from tests.integration.scheduler.harness import (
    Env,
    field_violations,
    lease,
    register,
    review,
    scheduler_env,
    submit,
)


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
            await review(env, "reviewer-1", r1, key="r-1")
            with pytest.raises(grpc.aio.AioRpcError) as reused:
                await review(env, "reviewer-1", r2, review_pb2.VERDICT_REJECT, key="r-1",
                             comments=["wrong"])
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
