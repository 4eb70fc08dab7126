"""Who may call what: every RPC x (own / other user's / other project's / no token / wrong role).

Each case asserts the exact gRPC status code over real gRPC and PostgreSQL. One replica serves
the whole module from a background event loop; every case builds the leases it needs, so
cases never depend on each other's order.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
import grpc
import pytest

from roadlabel import ontology
from roadlabel.client import Client, connect
from roadlabel.config import S3Settings
from roadlabel.embedded import EmbeddedPostgres
from roadlabel.objectstore import MinioStore
from roadlabel.v1 import (
    annotator_pb2,
    ingest_pb2,
    labels_pb2,
    ops_pb2,
    review_pb2,
    tasks_pb2,
)
from scheduler.admin import add_user, create_project
from scheduler.app import Replica, start_replica
from scheduler.server import ServerOptions
from scheduler.service import SchedulerConfig
from scheduler.workflow import WorkflowConfig
from tests.integration.conftest import TEMPLATE
from tests.integration.scheduler.harness import car_document

T = TypeVar("T")
OK = grpc.StatusCode.OK
DENIED = grpc.StatusCode.PERMISSION_DENIED
UNAUTH = grpc.StatusCode.UNAUTHENTICATED

#: user -> (role, projects). "-other" users live in project p2 only.
USERS = {
    "annotator-1": ("annotator", ["p1"]), "annotator-2": ("annotator", ["p1"]),
    "reviewer-1": ("reviewer", ["p1"]), "reviewer-2": ("reviewer", ["p1"]),
    "qa-1": ("qa", ["p1"]), "ops-1": ("ops", ["p1"]), "ops-2": ("ops", ["p1"]),
    "annotator-other": ("annotator", ["p2"]), "reviewer-other": ("reviewer", ["p2"]),
    "ops-other": ("ops", ["p2"]),
}
BATCH = {"p1": "b-p1", "p2": "b-p2"}
_ids = itertools.count()


class Background:
    """An event loop in a thread that outlives single tests (the module's replica runs on it)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="access-matrix",
                                       daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
        """Run a coroutine on the loop and wait for its result."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout_s)

    def close(self) -> None:
        """Stop and close the loop."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@dataclass
class World:
    """The module's replica, service stubs on one channel to it, and every user's token."""

    bg: Background
    replica: Replica
    stubs: Client  # its own token is unused: each call sends the metadata of one user
    tokens: dict[str, str]

    def md(self, user: str | None) -> tuple[tuple[str, str], ...] | None:
        """Call metadata of a user; None sends no token at all."""
        return None if user is None else (("authorization", f"Bearer {self.tokens[user]}"),)


@pytest.fixture(scope="module")
def world(pg_server: EmbeddedPostgres, s3_server: Any) -> Iterator[World]:
    """One replica for the module, with projects p1 and p2, their users and batches."""
    name = f"access{uuid.uuid4().hex[:8]}"
    bg = Background()
    try:
        w = bg.run(_start(pg_server, name, s3_server.settings, bg))
        try:
            yield w
        finally:
            bg.run(_stop(w))
    finally:
        bg.close()


async def _start(pg: EmbeddedPostgres, name: str, s3: S3Settings, bg: Background) -> World:
    conn = await asyncpg.connect(pg.url_for("postgres"))
    await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    await conn.close()
    cfg = SchedulerConfig(lease_ttl_s=60, workflow=WorkflowConfig(qa_sample_rate=0.0))
    replica = await start_replica(pg.url_for(name), MinioStore(s3),
                                  ServerOptions(port=0, grace_s=0.5), cfg, run_migrations=False)
    for project in ("p1", "p2"):
        await create_project(replica.pool, project, ontology.default())
    tokens = {u: await add_user(replica.pool, u, role, projects)
              for u, (role, projects) in USERS.items()}
    w = World(bg, replica, connect(f"127.0.0.1:{replica.port}", ""), tokens)
    for project, ops_user in (("p1", "ops-1"), ("p2", "ops-other")):
        await w.stubs.ingest.CreateBatch(ingest_pb2.CreateBatchRequest(
            batch_id=BATCH[project], project_id=project), metadata=w.md(ops_user), timeout=5)
        await _register(w, ops_user, BATCH[project], f"seq-{project}")
    return w


async def _stop(w: World) -> None:
    await w.stubs.close()
    await w.replica.stop()


def _sequence(batch: str, sequence: str) -> ingest_pb2.RegisterSequenceRequest:
    """One 5-frame sequence cut into one task."""
    return ingest_pb2.RegisterSequenceRequest(
        batch_id=batch, sequence_id=sequence, source_uri="file:///x.mp4", decoder_version="t",
        calibration=labels_pb2.Calibration(fx=500, fy=500, cx=320, cy=180, width=640,
                                           height=360, camera_to_ego=[0.0] * 16),
        frames=[ingest_pb2.FrameRecord(frame_index=i, pts=i * 100, timestamp_s=i * 0.1,
                                       sha256=f"{i:064x}", key=f"frames/{sequence}/c0",
                                       offset=i * 10, length=10) for i in range(5)],
        segments=[ingest_pb2.SegmentRange(first_frame=0, end_frame=5)], overlap=0)


async def _register(w: World, ops_user: str, batch: str, sequence: str) -> None:
    await w.stubs.ingest.RegisterSequence(_sequence(batch, sequence), metadata=w.md(ops_user),
                                    timeout=5)


# --- building the leases a case needs ------------------------------------------------------

async def fresh_lease(w: World, user: str, project: str) -> annotator_pb2.LeaseResponse:
    """A new task in the project, leased at annotate by `user`."""
    ops_user = "ops-1" if project == "p1" else "ops-other"
    await _register(w, ops_user, BATCH[project], f"seq-{next(_ids)}")
    reply: annotator_pb2.LeaseResponse = await w.stubs.annotator.Lease(
        annotator_pb2.LeaseRequest(project_id=project), metadata=w.md(user), timeout=5)
    return reply


async def review_lease(w: World, reviewer: str, project: str) -> annotator_pb2.LeaseResponse:
    """A task annotated by someone else in the project, leased at review by `reviewer`."""
    annotator = "annotator-1" if project == "p1" else "annotator-other"
    leased = await fresh_lease(w, annotator, project)
    await w.stubs.annotator.Submit(_submit_request(leased), metadata=w.md(annotator), timeout=5)
    reply: annotator_pb2.LeaseResponse = await w.stubs.annotator.Lease(
        annotator_pb2.LeaseRequest(stage=tasks_pb2.STAGE_REVIEW), metadata=w.md(reviewer),
        timeout=5)
    return reply


def _submit_request(leased: annotator_pb2.LeaseResponse) -> annotator_pb2.SubmitRequest:
    t = leased.task
    return annotator_pb2.SubmitRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
        idempotency_key=str(uuid.uuid4()), document_version=t.document_version,
        labels=car_document(t.sequence_id, t.first_frame, t.end_frame))


async def status_of(call: Awaitable[Any]) -> grpc.StatusCode:
    """The status code a call ends with (OK when it returns)."""
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return OK


# --- who calls, on whose resource ----------------------------------------------------------

#: subject -> (caller, owner of the resource, project of the resource)
LEASE_SUBJECTS = {
    "own": ("annotator-1", "annotator-1", "p1"),
    "other_user": ("annotator-2", "annotator-1", "p1"),
    "other_project": ("annotator-other", "annotator-1", "p1"),
    "no_token": (None, "annotator-1", "p1"),
    "wrong_role": ("ops-1", "annotator-1", "p1"),
}
LEASE_EXPECTED = {"own": OK, "other_user": DENIED, "other_project": DENIED,
                  "no_token": UNAUTH, "wrong_role": DENIED}


async def _heartbeat(w: World, subject: str) -> grpc.StatusCode:
    caller, owner, project = LEASE_SUBJECTS[subject]
    leased = await fresh_lease(w, owner, project)
    return await status_of(w.stubs.annotator.Heartbeat(annotator_pb2.HeartbeatRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
        active_seconds=1.0), metadata=w.md(caller), timeout=5))


async def _submit(w: World, subject: str) -> grpc.StatusCode:
    caller, owner, project = LEASE_SUBJECTS[subject]
    leased = await fresh_lease(w, owner, project)
    return await status_of(w.stubs.annotator.Submit(_submit_request(leased), metadata=w.md(caller),
                                              timeout=5))


async def _release(w: World, subject: str) -> grpc.StatusCode:
    caller, owner, project = LEASE_SUBJECTS[subject]
    leased = await fresh_lease(w, owner, project)
    return await status_of(w.stubs.annotator.Release(annotator_pb2.ReleaseRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token),
        metadata=w.md(caller), timeout=5))


@pytest.mark.parametrize("rpc", [_heartbeat, _submit, _release],
                         ids=["Heartbeat", "Submit", "Release"])
@pytest.mark.parametrize("subject", list(LEASE_SUBJECTS))
def test_lease_holder_rpcs(world: World,
                           rpc: Callable[[World, str], Coroutine[Any, Any, grpc.StatusCode]],
                           subject: str) -> None:
    """Only the holder of a lease may heartbeat, submit or release it."""
    assert world.bg.run(rpc(world, subject)) == LEASE_EXPECTED[subject]


LEASE_CASES = {
    # subject: (caller, requested project, requested stage, expected)
    "own": ("annotator-1", "p1", tasks_pb2.STAGE_UNSPECIFIED, OK),
    "other_project": ("annotator-1", "p2", tasks_pb2.STAGE_UNSPECIFIED, DENIED),
    "no_token": (None, "p1", tasks_pb2.STAGE_UNSPECIFIED, UNAUTH),
    "wrong_role": ("ops-1", "p1", tasks_pb2.STAGE_UNSPECIFIED, DENIED),
    "wrong_role_stage": ("reviewer-1", "p1", tasks_pb2.STAGE_ANNOTATE, DENIED),
}


@pytest.mark.parametrize("subject", list(LEASE_CASES))
def test_lease(world: World, subject: str) -> None:
    """Leasing needs a token, a role that leases that stage and membership of the project."""
    caller, project, stage, expected = LEASE_CASES[subject]

    async def case() -> grpc.StatusCode:
        await _register(world, "ops-1", BATCH["p1"], f"seq-{next(_ids)}")
        return await status_of(world.stubs.annotator.Lease(
            annotator_pb2.LeaseRequest(project_id=project, stage=stage),
            metadata=world.md(caller), timeout=5))

    assert world.bg.run(case()) == expected


REVIEW_SUBJECTS = {
    "own": ("reviewer-1", "reviewer-1", "p1", OK),
    "other_user": ("reviewer-2", "reviewer-1", "p1", DENIED),
    "other_project": ("reviewer-other", "reviewer-1", "p1", DENIED),
    "no_token": (None, "reviewer-1", "p1", UNAUTH),
}


@pytest.mark.parametrize("subject", list(REVIEW_SUBJECTS))
def test_submit_review(world: World, subject: str) -> None:
    """Only the reviewer holding the review lease may decide on it."""
    caller, owner, project, expected = REVIEW_SUBJECTS[subject]

    async def case() -> grpc.StatusCode:
        leased = await review_lease(world, owner, project)
        return await status_of(world.stubs.review.SubmitReview(_approve(leased),
                                                         metadata=world.md(caller), timeout=5))

    assert world.bg.run(case()) == expected


def test_submit_review_by_annotator_role_is_denied(world: World) -> None:
    """An annotator may not approve work, not even on a lease it holds (wrong role)."""

    async def case() -> tuple[grpc.StatusCode, str]:
        leased = await fresh_lease(world, "annotator-1", "p1")
        code = await status_of(world.stubs.review.SubmitReview(
            _approve(leased), metadata=world.md("annotator-1"), timeout=5))
        stage = await world.replica.pool.fetchval(
            "SELECT stage FROM tasks WHERE task_id = $1", leased.task.task_id)
        return code, stage

    code, stage = world.bg.run(case())
    assert stage == "annotate"
    assert code == DENIED


def _approve(leased: annotator_pb2.LeaseResponse) -> review_pb2.SubmitReviewRequest:
    return review_pb2.SubmitReviewRequest(
        lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
        idempotency_key=str(uuid.uuid4()), document_version=leased.task.document_version,
        verdict=review_pb2.VERDICT_APPROVE)


SKIPS_CASES = {
    "own": ("qa-1", "p1", OK),
    "other_project": ("qa-1", "p2", DENIED),
    "no_token": (None, "p1", UNAUTH),
    "wrong_role": ("annotator-1", "p1", DENIED),
    "ops_other_project": ("ops-1", "p2", DENIED),
}


@pytest.mark.parametrize("subject", list(SKIPS_CASES))
def test_list_skips(world: World, subject: str) -> None:
    """The skip queue is for QA leads, ops and admins of the project."""
    caller, project, expected = SKIPS_CASES[subject]

    async def case() -> grpc.StatusCode:
        return await status_of(world.stubs.review.ListSkips(
            review_pb2.ListSkipsRequest(project_id=project), metadata=world.md(caller),
            timeout=5))

    assert world.bg.run(case()) == expected


def test_list_skips_without_project_shows_only_callers_projects(world: World) -> None:
    """A QA lead of p1 asking for every project must not see p2's skips."""

    async def case() -> list[str]:
        leased = await fresh_lease(world, "annotator-other", "p2")
        await world.stubs.annotator.Release(annotator_pb2.ReleaseRequest(
            lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
            reason=annotator_pb2.SKIP_REASON_AMBIGUOUS, comment="p2 secret"),
            metadata=world.md("annotator-other"), timeout=5)
        try:
            reply = await world.stubs.review.ListSkips(review_pb2.ListSkipsRequest(),
                                                 metadata=world.md("qa-1"), timeout=5)
        except grpc.aio.AioRpcError as exc:  # refusing the unscoped query is also correct
            assert exc.code() == DENIED
            return []
        return [s.comment for s in reply.skips]

    assert "p2 secret" not in world.bg.run(case())


# --- IngestService and OpsService: project-scoped writers and readers -----------------------

#: subject -> (caller, project whose batch is touched, expected)
BATCH_SUBJECTS = {
    "own": ("ops-1", "p1", OK),
    "other_user": ("ops-2", "p1", OK),  # another ops user of the same project may
    "other_project": ("ops-1", "p2", DENIED),
    "no_token": (None, "p1", UNAUTH),
    "wrong_role": ("annotator-1", "p1", DENIED),
}


def _create_batch(w: World, caller: str | None, project: str) -> Any:
    return w.stubs.ingest.CreateBatch(ingest_pb2.CreateBatchRequest(
        batch_id=f"nb-{next(_ids)}", project_id=project), metadata=w.md(caller), timeout=5)


def _register_sequence(w: World, caller: str | None, project: str) -> Any:
    return w.stubs.ingest.RegisterSequence(_sequence(BATCH[project], f"seq-{next(_ids)}"),
                                     metadata=w.md(caller), timeout=5)


async def _register_prelabels(w: World, caller: str | None, project: str) -> Any:
    # a fresh task: one that other cases leased keeps its pre-labels (FAILED_PRECONDITION)
    seq = f"seq-{next(_ids)}"
    await _register(w, "ops-1" if project == "p1" else "ops-other", BATCH[project], seq)
    return await w.stubs.ingest.RegisterPrelabels(ingest_pb2.RegisterPrelabelsRequest(
        batch_id=BATCH[project], sequence_id=seq, first_frame=0,
        prelabels=car_document(seq, 0, 5)), metadata=w.md(caller), timeout=5)


def _batch_status(w: World, caller: str | None, project: str) -> Any:
    return w.stubs.ops.GetBatchStatus(ops_pb2.GetBatchStatusRequest(batch_id=BATCH[project]),
                                metadata=w.md(caller), timeout=5)


def _throughput(w: World, caller: str | None, project: str) -> Any:
    return w.stubs.ops.GetThroughput(ops_pb2.GetThroughputRequest(batch_id=BATCH[project]),
                               metadata=w.md(caller), timeout=5)


def _cost_report(w: World, caller: str | None, project: str) -> Any:
    return w.stubs.ops.GetCostReport(ops_pb2.GetCostReportRequest(batch_id=BATCH[project]),
                               metadata=w.md(caller), timeout=5)


def _annotator_stats(w: World, caller: str | None, project: str) -> Any:
    return w.stubs.ops.ListAnnotatorStats(ops_pb2.ListAnnotatorStatsRequest(batch_id=BATCH[project]),
                                    metadata=w.md(caller), timeout=5)


BATCH_RPCS = {
    "CreateBatch": _create_batch, "RegisterSequence": _register_sequence,
    "RegisterPrelabels": _register_prelabels, "GetBatchStatus": _batch_status,
    "GetThroughput": _throughput, "GetCostReport": _cost_report,
    "ListAnnotatorStats": _annotator_stats,
}


@pytest.mark.parametrize("rpc", list(BATCH_RPCS))
@pytest.mark.parametrize("subject", list(BATCH_SUBJECTS))
def test_batch_scoped_rpcs(world: World, rpc: str, subject: str) -> None:
    """Registration and ops figures need an ops role in the batch's own project."""
    caller, project, expected = BATCH_SUBJECTS[subject]

    async def case() -> grpc.StatusCode:
        return await status_of(BATCH_RPCS[rpc](world, caller, project))

    assert world.bg.run(case()) == expected


def test_unknown_token_is_unauthenticated(world: World) -> None:
    """A token that was never issued is refused like a missing one."""
    md = (("authorization", "Bearer rl_not-a-real-token"),)

    async def case() -> grpc.StatusCode:
        return await status_of(world.stubs.annotator.Lease(annotator_pb2.LeaseRequest(),
                                                     metadata=md, timeout=5))

    assert world.bg.run(case()) == UNAUTH
