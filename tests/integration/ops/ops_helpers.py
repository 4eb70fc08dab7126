"""Helpers of the ops integration tests: rates, simulated work at a steady pace, ledger sums."""

from __future__ import annotations

import asyncio
import random
import time
import uuid

import asyncpg
import grpc

from roadlabel.client import Client
from roadlabel.simulate import SimStats, annotate_one
from roadlabel.v1 import annotator_pb2, review_pb2, tasks_pb2
from scheduler.queries import q
from tests.integration.scheduler.harness import Env


async def set_rate(pool: asyncpg.Pool, name: str, per_hour: float, unit: str = "hour",
                   currency: str = "USD") -> None:
    """Price a role or a resource."""
    await pool.execute(q("set_rate"), name, per_hour, unit, currency)


async def accept_one(env: Env, rng: random.Random, annotator: str = "annotator-1",
                     reviewer: str = "reviewer-1") -> bool:
    """Annotate one task and approve it at review (the workflow has no QA sampling)."""
    if not await annotate_one(env.client(annotator), rng, SimStats()):
        return False
    return await review(env.client(reviewer), approve=True)


async def review(client: Client, approve: bool, active_s: float = 1.0) -> bool:
    """Lease one review task and give a verdict, reporting active seconds; False if none."""
    md = client.metadata
    try:
        leased = await client.annotator.Lease(
            annotator_pb2.LeaseRequest(stage=tasks_pb2.STAGE_REVIEW), metadata=md, timeout=5)
    except grpc.aio.AioRpcError as exc:
        if exc.code() == grpc.StatusCode.NOT_FOUND:
            return False
        raise
    await client.review.SubmitReview(review_pb2.SubmitReviewRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
        idempotency_key=str(uuid.uuid4()), document_version=leased.task.document_version,
        verdict=review_pb2.VERDICT_APPROVE if approve else review_pb2.VERDICT_REJECT,
        comments=[] if approve else ["boxes are off"], active_seconds=active_s),
        metadata=md, timeout=5)
    return True


async def steady(env: Env, n: int, pace_s: float, start: float, rng: random.Random) -> None:
    """Accept n tasks, the k-th starting at start + k * pace_s (an absolute schedule)."""
    for k in range(n):
        delay = start + k * pace_s - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        assert await accept_one(env, rng), f"task {k} was not available"


async def ledger_sum(pool: asyncpg.Pool, where: str = "", *args: object) -> float:
    """Sum of the ledger's cost (optionally filtered by a WHERE clause)."""
    value = await pool.fetchval(f"SELECT COALESCE(sum(cost), 0) FROM cost_ledger {where}", *args)
    return float(value)
