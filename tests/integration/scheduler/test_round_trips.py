"""One database round trip per call, and what happens when Submit's optimistic context is stale."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import grpc
import pytest

from roadlabel import ontology
from roadlabel.config import S3Settings
from roadlabel.v1 import annotator_pb2
from scheduler.admin import create_project
from tests.integration.conftest import run
from tests.integration.scheduler.harness import (
    Env,
    car_document,
    field_violations,
    lease,
    register,
    scheduler_env,
    submit,
)

QUERY_METHODS = ("execute", "executemany", "fetch", "fetchrow", "fetchval")


class _CountingConnection:
    """Forwards to a pooled connection, counting the statements sent through it."""

    def __init__(self, conn: asyncpg.Connection, counts: list[str]) -> None:
        self._conn, self._counts = conn, counts

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._conn, name)
        if name not in QUERY_METHODS:
            return attr

        async def counted(query: str, *args: Any, **kwargs: Any) -> Any:
            self._counts.append(query.split("(")[0].strip())
            return await attr(query, *args, **kwargs)

        return counted


class _CountingPool:
    """The scheduler's pool, as far as the service uses it, with every statement counted."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self.statements: list[str] = []

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[_CountingConnection]:
        async with self._pool.acquire() as conn:
            yield _CountingConnection(conn, self.statements)

    def acquire(self) -> Any:
        return self._acquire()


def _count_statements(env: Env) -> _CountingPool:
    service = env.replica.server.service
    counting = _CountingPool(service.pool)
    service.pool = counting  # type: ignore[assignment]
    return counting


def test_lease_heartbeat_and_submit_are_one_round_trip_each(database_url: str,
                                                           s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=10, segment=5, overlap=0)
            first = await lease(env, "annotator-1")
            await submit(env, "annotator-1", first)  # warms the ontology cache
            counting = _count_statements(env)
            leased = await lease(env, "annotator-1")
            assert len(counting.statements) == 1
            c = env.client("annotator-1")
            await c.annotator.Heartbeat(annotator_pb2.HeartbeatRequest(
                lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token),
                metadata=c.metadata, timeout=5)
            assert len(counting.statements) == 2
            reply = await submit(env, "annotator-1", leased)
            assert len(counting.statements) == 3, counting.statements
            assert reply.next_stage and not reply.replayed

    run(scenario())


def test_frames_outside_the_task_are_refused_with_field_details(database_url: str,
                                                               s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=10, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            t = leased.task
            # Valid in itself: only the task knows frame 7 is not one of its frames.
            doc = car_document(t.sequence_id, t.first_frame, t.end_frame)
            doc.frames[-1].frame_index = 7
            with pytest.raises(grpc.aio.AioRpcError) as bad:
                await submit(env, "annotator-1", leased, doc=doc)
            assert field_violations(bad.value) == [
                f"labels.frames[{len(doc.frames) - 1}].frame_index", "labels.frames"]
            # Nothing was written: the lease still holds and a correct submit goes through.
            reply = await submit(env, "annotator-1", leased)
            assert reply.document_version == 1

    run(scenario())


def test_submit_after_the_ontology_changed_records_the_new_version(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=10, segment=5, overlap=0)
            first = await lease(env, "annotator-1")
            await submit(env, "annotator-1", first)  # this replica now caches version 1
            leased = await lease(env, "annotator-1")
            raw = {**ontology.default().raw, "version": "1.1.0"}
            await create_project(env.replica.pool, "p1", ontology.parse(raw, "test ontology"))
            reply = await submit(env, "annotator-1", leased)
            assert reply.document_version == 1
            async with env.replica.pool.acquire() as conn:
                stored = await conn.fetchval(
                    "SELECT document ->> 'ontology_version' FROM tasks WHERE task_id = $1",
                    leased.task.task_id)
            assert stored == "1.1.0"

    run(scenario())


def test_a_replica_of_the_previous_release_can_still_submit(database_url: str,
                                                           s3_settings: S3Settings) -> None:
    """While replicas roll, old code calls rl_submit with its 13-argument signature."""
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            async with env.replica.pool.acquire() as conn:
                result = await conn.fetchval(
                    "SELECT rl_submit($1::uuid, $2::uuid, $3, $4, $5, $6, $7::jsonb, $8::jsonb,"
                    " $9::jsonb, $10, $11::text[], $12::integer, $13)",
                    uuid.uuid4(), uuid.UUID(leased.lease.lease_id), leased.lease.fencing_token,
                    "annotator-1", "old-replica-key", 0, {"frames": []}, [],
                    {"annotate": "review"}, "submit", [], 1, 1.0)
            assert result["next_stage"] == "review" and result["replayed"] is False

    run(scenario())
