"""Double annotation for agreement and unmarked gold tasks, over real gRPC."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from roadlabel.config import S3Settings
from roadlabel.v1 import tasks_pb2
from scheduler.admin import create_batch
from scheduler.errors import IllegalTransition, InvalidArgument
from tests.integration.conftest import run
from tests.integration.scheduler.harness import (
    car_document,
    lease,
    register,
    review,
    scheduler_env,
    submit,
)


def test_double_task_needs_two_annotators_who_never_see_each_other(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings, double_rate=1.0) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            first = await lease(env, "annotator-1")
            r1 = await submit(env, "annotator-1", first, doc=car_document("seq1", 0, 5))
            assert r1.next_stage == tasks_pb2.STAGE_ANNOTATE
            with pytest.raises(grpc.aio.AioRpcError) as again:
                await lease(env, "annotator-1")  # the same person never annotates it twice
            assert again.value.code() == grpc.StatusCode.NOT_FOUND
            second = await lease(env, "annotator-2")
            assert second.task.task_id == first.task.task_id
            assert len(second.task.draft.frames) == 0  # independent: no peek at annotator-1
            r2 = await submit(env, "annotator-2", second, doc=car_document("seq1", 0, 5, dx=1.1))
            assert r2.next_stage == tasks_pb2.STAGE_REVIEW

    run(scenario())


def test_gold_task_is_unmarked_scored_and_kept_out_of_the_batch(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            [task_id] = await register(env, batch="b0", n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            await submit(env, "annotator-1", leased, doc=car_document("seq1", 0, 5))
            await review(env, "reviewer-1", await lease(env, "reviewer-1"))
            await register(env, batch="b1", sequence="seq2", n_frames=10, segment=5, overlap=0)
            service = env.replica.server.service
            gold_id = await service.add_gold_task(task_id, "b1")
            assert await service.add_gold_task(task_id, "b1") == gold_id  # a re-run: same id
            await create_batch(env.replica.pool, "other", "p2", datetime.now(UTC), 0)
            with pytest.raises(InvalidArgument, match="gold tasks stay within their project"):
                await service.add_gold_task(task_id, "other")
            with pytest.raises(IllegalTransition, match="already has a task for these frames"):
                await service.add_gold_task(task_id, "b0")
            with pytest.raises(IllegalTransition, match="only an accepted task"):
                await service.add_gold_task("b1/seq2/000000-000005", "b0")
            seen: dict[str, list[str]] = {"annotator-1": [], "annotator-2": []}
            for user, dx in (("annotator-1", 1.0), ("annotator-2", 3.0)):
                while True:
                    try:
                        got = await lease(env, user)
                    except grpc.aio.AioRpcError as exc:
                        assert exc.code() == grpc.StatusCode.NOT_FOUND
                        break
                    seen[user].append(got.task.task_id)
                    assert len(got.task.draft.frames) == 0  # the answer never leaks
                    doc = car_document(got.task.sequence_id, got.task.first_frame,
                                       got.task.end_frame, dx=dx)
                    result = await submit(env, user, got, doc=doc)
                    assert len(result.findings) == 0  # nothing marks the gold task
            assert gold_id in seen["annotator-1"] and gold_id in seen["annotator-2"]
            scores = await service.gold_scores("b1")
            assert scores["annotator-1"][0] > 0.9  # matches the known answer
            assert scores["annotator-2"][0] < scores["annotator-1"][0]  # 2 m/frame off
            status = await service.batch_status("b1")
            assert status["stages"] == {"review": 2}  # gold is not part of the batch

    run(scenario())
