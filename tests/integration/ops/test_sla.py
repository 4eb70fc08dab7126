"""SLA over real gRPC and PostgreSQL: ETA on a steady load, at-risk batches leased first."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from roadlabel.config import S3Settings
from roadlabel.v1 import annotator_pb2, ops_pb2
from scheduler.metrics import Metrics
from scheduler.ops_loop import OpsConfig, OpsLoop
from scheduler.sla import SlaPolicy
from tests.integration.conftest import run
from tests.integration.ops.ops_helpers import accept_one, steady
from tests.integration.scheduler.harness import Env, register, scheduler_env

LOOP = OpsConfig(qa_sample_rate=0.0, policy=SlaPolicy(hysteresis_s=0.0))


async def lease_batch(env: Env, user: str = "annotator-2") -> str:
    """Lease one task and release it again; return the batch it came from."""
    c = env.client(user)
    leased = await c.annotator.Lease(annotator_pb2.LeaseRequest(), metadata=c.metadata,
                                     timeout=5)
    await c.annotator.Release(annotator_pb2.ReleaseRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token),
        metadata=c.metadata, timeout=5)
    return leased.task.task_id.split("/")[0]


def test_eta_is_within_ten_percent_on_a_steady_load(database_url: str,
                                                     s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            # Slots several times longer than one task's five RPCs take; with 20 tasks still to
            # go, the ETA's built-in lead (a task is accepted early in its slot) stays ~5%.
            n, pace = 40, 0.25
            await register(env, n_frames=5 * n, segment=5, overlap=0)
            loop = OpsLoop(env.replica.pool, None, LOOP)
            rng = random.Random(0)
            start = time.monotonic()
            await steady(env, n // 2, pace, start, rng)
            # Predict between two acceptances, at the start of the next task's slot.
            delay = start + (n // 2) * pace - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            (figures,) = await loop.tick()
            assert figures.remaining_frames == 5 * (n - n // 2)
            assert figures.eta is not None
            await steady(env, n - n // 2, pace, start + (n // 2) * pace, rng)
            done = await env.replica.pool.fetchval("SELECT max(accepted_at) FROM tasks")
            remaining_s = (done - figures.now).total_seconds()
            error_s = abs((figures.eta - done).total_seconds())
            assert error_s <= 0.10 * remaining_s, (error_s, remaining_s)
            ops = env.client("ops-1")
            pool = env.replica.pool
            started = await pool.fetchval("SELECT min(granted_at) FROM leases")
            before = await pool.fetchval("SELECT clock_timestamp()")
            status = (await ops.ops.GetBatchStatus(ops_pb2.GetBatchStatusRequest(batch_id="b1"),
                                                   metadata=ops.metadata, timeout=5)).status
            after = await pool.fetchval("SELECT clock_timestamp()")
            assert status.frames_accepted == status.frames_total == 5 * n
            # A finished batch's ETA is when it finished.
            assert status.eta.ToDatetime(tzinfo=UTC) == pytest.approx(done, abs=timedelta(
                milliseconds=1))
            # All frames over the time since the first lease (the window is longer).
            lo, hi = (5 * n * 3600 / (t - started).total_seconds() for t in (after, before))
            assert lo <= status.accepted_frames_per_hour <= hi

    run(scenario())


def test_an_at_risk_batch_is_leased_ahead_of_a_safe_one(database_url: str,
                                                        s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            pool = env.replica.pool
            # "late": 100 tasks due in 20 s, of which two get done in the first second.
            await register(env, batch="late", sequence="late-seq", n_frames=500, segment=5,
                           overlap=0, deadline=datetime.now(UTC) + timedelta(seconds=20))
            rng = random.Random(0)
            for _ in range(2):
                assert await accept_one(env, rng)
            await asyncio.sleep(1.0)  # 10 frames in over a second: 490 need over 49 s
            # "safe": more urgent by priority, due tomorrow, nothing done yet.
            await register(env, batch="safe", sequence="safe-seq", n_frames=10, segment=5,
                           overlap=0, priority=5)
            assert await lease_batch(env) == "safe"
            metrics = Metrics()
            loop = OpsLoop(pool, metrics, LOOP)
            figures = {f.batch_id: f for f in await loop.tick()}
            late = figures["late"]
            assert late.at_risk, (late.now, late.started_at, late.eta, late.deadline,
                                  late.accepted_frames_per_hour)
            assert not figures["safe"].at_risk
            assert late.now < late.deadline < late.eta  # flagged by its ETA, not overdue
            assert await lease_batch(env) == "late"
            events = await pool.fetch("SELECT kind, batch_id, payload FROM events "
                                      "WHERE kind LIKE 'batch_%'")
            assert [(e["kind"], e["batch_id"]) for e in events] == [("batch_at_risk", "late")]
            assert events[0]["payload"]["remaining_frames"] == 490
            # A second replica's loop (or the next tick) records no second event.
            await OpsLoop(pool, None, LOOP).tick()
            assert await pool.fetchval("SELECT count(*) FROM events WHERE kind LIKE 'batch_%'") == 1
            value = metrics.registry.get_sample_value("roadlabel_batch_at_risk", {"batch": "late"})
            assert value == 1.0
            assert metrics.registry.get_sample_value(
                "roadlabel_batch_at_risk", {"batch": "safe"}) == 0.0
            ops = env.client("ops-1")
            status = (await ops.ops.GetBatchStatus(
                ops_pb2.GetBatchStatusRequest(batch_id="late"), metadata=ops.metadata,
                timeout=5)).status
            assert status.at_risk and status.eta.ToDatetime(tzinfo=UTC) > status.deadline.ToDatetime(
                tzinfo=UTC)
            assert metrics.registry.get_sample_value(
                "roadlabel_batch_target_cost_per_frame", {"batch": "late"}) == 0.5
            # The deadline moves out: the batch is back on track, and "safe" leads again.
            await pool.execute("UPDATE batches SET deadline = now() + interval '1 day' "
                               "WHERE batch_id = 'late'")
            figures = {f.batch_id: f for f in await loop.tick()}
            assert not figures["late"].at_risk
            kinds = await pool.fetch("SELECT kind FROM events WHERE kind LIKE 'batch_%' "
                                     "ORDER BY event_id")
            assert [k["kind"] for k in kinds] == ["batch_at_risk", "batch_on_track"]
            assert await lease_batch(env) == "safe"
            # A finished batch leaves the gauges.
            await pool.execute("UPDATE tasks SET stage = 'accepted', accepted_at = now() "
                               "WHERE batch_id = 'safe'")
            assert {f.batch_id for f in await loop.tick()} == {"late"}
            assert metrics.registry.get_sample_value(
                "roadlabel_batch_at_risk", {"batch": "safe"}) is None

    run(scenario())


def test_watch_and_permissions(database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=10, segment=5, overlap=0)
            ops = env.client("ops-1")
            stream = ops.ops.WatchBatch(ops_pb2.WatchBatchRequest(batch_id="b1", interval_s=0.2),
                                        metadata=ops.metadata, timeout=5)
            first = await stream.read()
            assert first.status.frames_total == 10 and first.status.frames_accepted == 0
            assert not first.status.HasField("eta")  # no throughput yet
            assert await accept_one(env, random.Random(0))
            # Each change is streamed (annotated, then reviewed): read up to the acceptance.
            second = await stream.read()
            for _ in range(5):
                if second.status.frames_accepted:
                    break
                second = await stream.read()
            assert second.status.frames_accepted == 5
            assert second.status.HasField("eta")
            stream.cancel()
            ann = env.client("annotator-1")
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await ann.ops.GetBatchStatus(ops_pb2.GetBatchStatusRequest(batch_id="b1"),
                                             metadata=ann.metadata, timeout=5)
            assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await ops.ops.GetBatchStatus(ops_pb2.GetBatchStatusRequest(batch_id="nope"),
                                             metadata=ops.metadata, timeout=5)
            assert missing.value.code() == grpc.StatusCode.NOT_FOUND

    run(scenario())
