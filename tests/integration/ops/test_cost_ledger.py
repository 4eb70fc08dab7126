"""Cost ledger over real gRPC and PostgreSQL: idle time is not billed; roll-ups equal the ledger."""

from __future__ import annotations

import asyncio
import math
import random

import pytest

from roadlabel.config import S3Settings
from roadlabel.v1 import annotator_pb2, ops_pb2
from scheduler.ops_loop import read_rollup
from scheduler.queries import q
from tests.integration.conftest import run
from tests.integration.ops.ops_helpers import accept_one, ledger_sum, set_rate
from tests.integration.scheduler.harness import car_document, register, scheduler_env


def test_idle_time_is_not_billed_and_claims_are_capped_at_wall_time(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            pool = env.replica.pool
            await set_rate(pool, "annotator", 36.0)  # 0.01 per second
            await register(env, n_frames=5, segment=5, overlap=0)
            c = env.client("annotator-1")
            leased = await c.annotator.Lease(annotator_pb2.LeaseRequest(), metadata=c.metadata,
                                             timeout=5)
            lease = leased.lease

            async def beat(active: float) -> None:
                await c.annotator.Heartbeat(annotator_pb2.HeartbeatRequest(
                    lease_id=lease.lease_id, fencing_token=lease.fencing_token,
                    active_seconds=active), metadata=c.metadata, timeout=5)

            await asyncio.sleep(0.4)
            await beat(3600.0)  # a buggy client claims an hour after 0.4 s
            await asyncio.sleep(1.0)
            await beat(0.25)  # a second of which the person was active a quarter
            await asyncio.sleep(0.8)
            await beat(0.0)  # fully idle: nothing is billed
            await c.annotator.Submit(annotator_pb2.SubmitRequest(
                lease_id=lease.lease_id, fencing_token=lease.fencing_token,
                idempotency_key="k1", document_version=leased.task.document_version,
                labels=car_document("seq1", 0, 5), active_seconds=500.0),
                metadata=c.metadata, timeout=5)
            rows = await pool.fetch("SELECT seconds, reported_seconds, cost FROM cost_ledger "
                                    "WHERE user_id IS NOT NULL ORDER BY entry_id")
            wall = await pool.fetchval("SELECT extract(epoch FROM ended_at - granted_at)::float8 "
                                       "FROM leases")
            assert [r["reported_seconds"] for r in rows] == [3600.0, 0.25, 500.0]
            first, second, last = (r["seconds"] for r in rows)
            assert 0.35 <= first <= 1.0, first  # capped at the 0.4 s that passed
            assert second == pytest.approx(0.25)  # what the client measured as active
            assert last <= 0.5  # capped at the moments since the idle heartbeat
            assert first + second + last <= wall + 1e-6
            for r in rows:
                assert r["cost"] == pytest.approx(r["seconds"] * 0.01)

    run(scenario())


def test_cost_rollups_equal_the_ledger_sum(database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            pool = env.replica.pool
            await set_rate(pool, "annotator", 30.0)
            await set_rate(pool, "reviewer", 45.0)
            await set_rate(pool, "cpu", 0.05)
            await set_rate(pool, "gpu", 2.5)
            await set_rate(pool, "storage", 0.02, unit="gb")
            # A per-user rate wins over the role's.
            await pool.execute("UPDATE users SET hourly_rate = 90 WHERE user_id = 'annotator-2'")
            tasks = await register(env, n_frames=22, segment=5, overlap=1)
            added = await pool.fetchval(q("record_compute"), "ingest-rerun:b1/seq1", "b1", "seq1",
                                        None, "ingest", 12.0, 0.0, 22, 3_000_000)
            again = await pool.fetchval(q("record_compute"), "ingest-rerun:b1/seq1", "b1", "seq1",
                                        None, "ingest", 12.0, 0.0, 22, 3_000_000)
            # (registration already recorded its own, zero-cpu ingest row under another key)
            assert (added, again) == (2, 0)  # cpu + storage once; the replay adds nothing
            await pool.fetchval(q("record_compute"), f"prelabel:{tasks[0]}", "b1", "seq1",
                                tasks[0], "prelabel", 0.5, 3.0, 5, 0)
            rng = random.Random(1)
            for i in range(len(tasks)):
                await asyncio.sleep(0.05)  # some wall time so that billed seconds are > 0
                assert await accept_one(env, rng, annotator=f"annotator-{1 + i % 2}")
            total = await ledger_sum(pool, "WHERE batch_id = 'b1'")
            assert total > 0
            ops = env.client("ops-1")
            report = await ops.ops.GetCostReport(ops_pb2.GetCostReportRequest(batch_id="b1"),
                                                 metadata=ops.metadata, timeout=5)
            assert report.total_cost == pytest.approx(total)
            assert sum(line.cost for line in report.lines) == pytest.approx(total)
            assert {line.kind for line in report.lines} >= {
                "annotate", "review", "ingest_cpu", "prelabel_cpu", "prelabel_gpu", "storage"}
            assert report.cost_per_frame == pytest.approx(total / report.frames)
            assert report.target_cost_per_frame == pytest.approx(0.5)
            stats = await ops.ops.ListAnnotatorStats(
                ops_pb2.ListAnnotatorStatsRequest(batch_id="b1"), metadata=ops.metadata,
                timeout=5)
            for a in stats.annotators:
                assert a.cost == pytest.approx(await ledger_sum(
                    pool, "WHERE batch_id = 'b1' AND user_id = $1", a.user))
            by_user = {a.user: a for a in stats.annotators}
            assert by_user["annotator-1"].quality_score == pytest.approx(1.0)  # all approved
            assert math.isnan(by_user["reviewer-1"].quality_score)  # nobody checked them
            async with pool.acquire() as conn:
                r = await read_rollup(conn, "b1")
            assert r.total == pytest.approx(total)
            assert sum(r.by_kind.values()) == pytest.approx(total)
            assert sum(r.by_sequence.values()) == pytest.approx(total)
            assert sum(r.by_frame.values()) + r.unplaced == pytest.approx(total)
            assert r.unplaced == 0.0
            human = await ledger_sum(pool, "WHERE user_id IS NOT NULL")
            assert sum(r.by_user.values()) == pytest.approx(human)
            task_level = await ledger_sum(pool, "WHERE task_id IS NOT NULL")
            assert sum(r.by_task.values()) == pytest.approx(task_level)
            rate2 = await pool.fetchval(
                "SELECT sum(cost) / sum(seconds) * 3600 FROM cost_ledger "
                "WHERE user_id = 'annotator-2' AND seconds > 0")
            assert rate2 == pytest.approx(90.0)

    run(scenario())
