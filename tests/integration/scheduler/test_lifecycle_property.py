"""The task lifecycle against the real database functions, as a Hypothesis state machine.

Rules lease, heartbeat, submit (new key, replayed key, stale token, stale version), release,
force-expire and review (approve/reject) in any order. A simple model predicts each outcome;
after every step the database must agree with it, and these invariants must hold: never two
valid leases on one task, fencing tokens strictly increase, a replay returns the original
result, an accepted task never changes, no acknowledged submission is lost.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import asyncpg
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from roadlabel import ontology
from scheduler.admin import add_user, create_project
from scheduler.auth import Caller
from scheduler.convert import document_from_pb
from scheduler.db import create_pool
from scheduler.errors import (
    IllegalTransition,
    InvalidArgument,
    LeaseLost,
    NotFound,
    NotYourLease,
    PermissionDenied,
    VersionConflict,
)
from scheduler.service import SchedulerConfig, SchedulerService
from scheduler.workflow import Verdict, WorkflowConfig
from tests.integration.scheduler.harness import car_document

T = TypeVar("T")
ANNOTATORS = ("ann-a", "ann-b")
REVIEWERS = ("rev-a", "rev-b")
USERS = ANNOTATORS + REVIEWERS
N_TASKS = 2
FRAMES = 3
_examples = itertools.count()


class Background:
    """An event loop in a thread, so that the synchronous rules can await the service."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="lifecycle",
                                       daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop and wait for it."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(30)

    def close(self) -> None:
        """Stop and close the loop."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class NoPresign:
    """The service never presigns outside the servicer; this only satisfies the type."""

    def presign_get(self, key: str, ttl_s: int = 0) -> str:
        """A fake URL."""
        return f"http://unused/{key}"


@dataclass
class HeldLease:
    """A lease as the model knows it."""

    lease_id: str
    token: int
    user: str
    task_id: str
    stage: str
    valid: bool = True


@dataclass
class ModelTask:
    """What the model expects of one task."""

    stage: str = "annotate"
    version: int = 0
    max_token: int = 0
    annotators: set[str] = field(default_factory=set)
    accepted_document: Any = None


@dataclass
class Ack:
    """An acknowledged submission and the lease it was made on."""

    user: str
    key: str
    lease: HeldLease
    result: dict[str, Any]
    review: bool
    version: int  # what the request carried: a replay repeats it exactly
    verdict: Verdict = Verdict.SUBMIT
    comments: tuple[str, ...] = ()


class Lifecycle(RuleBasedStateMachine):
    """Lease/heartbeat/submit/release/expire/review on two tasks by four users."""

    bg: ClassVar[Background]
    service: ClassVar[SchedulerService]

    def __init__(self) -> None:
        super().__init__()
        self.project = f"pp{next(_examples)}x{uuid.uuid4().hex[:6]}"
        self.tasks: dict[str, ModelTask] = {}
        self.leases: list[HeldLease] = []
        self.acks: list[Ack] = []

    # --- helpers --------------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await on the background loop."""
        return self.bg.run(coro)

    def caller(self, user: str) -> Caller:
        """The authenticated caller for a user of this example's project."""
        role = "annotator" if user in ANNOTATORS else "reviewer"
        return Caller(user, role, (), (self.project,))

    def valid_leases(self, stage: str | None = None) -> list[HeldLease]:
        """Leases the model holds valid (optionally at one stage)."""
        return [h for h in self.leases if h.valid and (stage is None or h.stage == stage)]

    def eligible(self, user: str) -> list[str]:
        """Tasks the model says this user could lease now."""
        stage = "annotate" if user in ANNOTATORS else "review"
        held = {h.task_id for h in self.valid_leases()}
        return [t for t, m in self.tasks.items() if m.stage == stage and t not in held
                and not (stage == "review" and user in m.annotators)]

    async def _setup(self) -> None:
        pool = self.service.pool
        await create_project(pool, self.project, ontology.default())
        for user in USERS:
            role = "annotator" if user in ANNOTATORS else "reviewer"
            await add_user(pool, user, role, [self.project])
        batch = seq = self.project
        await self.service.create_batch(batch, self.project, None, 0)
        frames = [{"frame_index": i, "pts": i, "timestamp_s": i * 0.1, "sha256": f"{i:064x}",
                   "key": "k", "offset": i, "length": 1} for i in range(FRAMES * N_TASKS)]
        segments = [(i * FRAMES, (i + 1) * FRAMES) for i in range(N_TASKS)]
        await self.service.register_sequence(batch, seq, "file:///x", "t", {}, frames,
                                             segments, 0)
        for a, b in segments:
            self.tasks[f"{batch}/{seq}/{a:06d}-{b:06d}"] = ModelTask()

    @initialize()
    def setup(self) -> None:
        """A fresh project with N_TASKS tasks for this example."""
        self.run(self._setup())

    def document(self, task_id: str) -> Any:
        """Valid labels for the task's frames."""
        a, b = (int(x) for x in task_id.rsplit("/", 1)[1].split("-"))
        return document_from_pb(car_document(self.project, a, b))

    # --- rules ----------------------------------------------------------------------------

    @rule(user=st.sampled_from(USERS))
    def lease(self, user: str) -> None:
        """Lease: granted exactly when the model has an eligible task."""
        eligible = self.eligible(user)
        try:
            leased = self.run(self.service.lease(self.caller(user), None, self.project, []))
        except NotFound:
            assert not eligible, f"{user} got nothing although {eligible} were free"
            return
        task_id = leased.task["task_id"]
        assert task_id in eligible, f"{user} leased {task_id}, not one of {eligible}"
        model = self.tasks[task_id]
        assert leased.fencing_token > model.max_token, "fencing tokens must strictly increase"
        assert leased.task["stage"] == model.stage
        model.max_token = leased.fencing_token
        self.leases.append(HeldLease(leased.lease_id, leased.fencing_token, user, task_id,
                                     model.stage))

    @precondition(lambda self: self.leases)
    @rule(i=st.integers(0, 50), other_user=st.booleans())
    def heartbeat(self, i: int, other_user: bool) -> None:
        """Heartbeat: extends a valid lease of its holder, refuses anyone else."""
        h = self.leases[i % len(self.leases)]
        user = next(u for u in USERS if u != h.user) if other_user else h.user
        outcome = self._try(self.service.heartbeat(self.caller(user), h.lease_id, h.token,
                                                   None, 1.0))
        if other_user:
            assert outcome is NotYourLease
        elif h.valid:
            assert isinstance(outcome, dict) and outcome["task_id"] == h.task_id
        else:
            assert outcome is LeaseLost

    @precondition(lambda self: self.valid_leases("annotate"))
    @rule(i=st.integers(0, 50))
    def submit_new_key(self, i: int) -> None:
        """Submit with a fresh key on a valid annotate lease at the current version."""
        held = self.valid_leases("annotate")
        h = held[i % len(held)]
        model = self.tasks[h.task_id]
        key = str(uuid.uuid4())
        outcome = self._try(self.service.submit(self.caller(h.user), h.lease_id, h.token, key,
                                                model.version, self.document(h.task_id), 1.0))
        assert isinstance(outcome, dict), outcome
        assert not outcome["replayed"] and outcome["next_stage"] == "review"
        assert outcome["document_version"] == model.version + 1
        model.stage, model.version = "review", model.version + 1
        model.annotators.add(h.user)
        h.valid = False
        self.acks.append(Ack(h.user, key, h, outcome, review=False, version=model.version - 1))

    @precondition(lambda self: any(not h.valid or h.stage != "annotate" for h in self.leases))
    @rule(i=st.integers(0, 50))
    def submit_on_unusable_lease(self, i: int) -> None:
        """Submit by a reviewer is refused (verdicts go through SubmitReview); by an annotator
        on an ended lease it is a lost lease."""
        unusable = [h for h in self.leases if not h.valid or h.stage != "annotate"]
        h = unusable[i % len(unusable)]
        model = self.tasks[h.task_id]
        outcome = self._try(self.service.submit(self.caller(h.user), h.lease_id, h.token,
                                                str(uuid.uuid4()), model.version,
                                                self.document(h.task_id), 1.0))
        if h.user not in ANNOTATORS:
            assert isinstance(outcome, PermissionDenied)
        elif not h.valid:
            assert outcome is LeaseLost
        else:
            assert isinstance(outcome, IllegalTransition)

    @precondition(lambda self: self.acks)
    @rule(i=st.integers(0, 50))
    def submit_replayed_key(self, i: int) -> None:
        """A replay of the identical request returns the original result and changes nothing;
        the key with another request is refused."""
        ack = self.acks[i % len(self.acks)]
        again = self.run(self.resend(ack, ack.version))
        assert again["replayed"]
        for k in ("submission_id", "next_stage", "document_version", "task_id"):
            assert str(again[k]) == str(ack.result[k])
        assert isinstance(self._try(self.resend(ack, ack.version + 7)), InvalidArgument)

    def resend(self, ack: Ack, version: int) -> Coroutine[Any, Any, dict[str, Any]]:
        """The acknowledged request again, at the given document version."""
        h, who = ack.lease, self.caller(ack.user)
        if ack.review:
            return self.service.review(who, h.lease_id, h.token, ack.key, version, ack.verdict,
                                       list(ack.comments), None)
        return self.service.submit(who, h.lease_id, h.token, ack.key, version,
                                   self.document(h.task_id), 1.0)

    @precondition(lambda self: self.valid_leases("annotate"))
    @rule(i=st.integers(0, 50), delta=st.sampled_from([-1, 1, 1000]))
    def submit_stale_token(self, i: int, delta: int) -> None:
        """A wrong fencing token is refused as a lost lease."""
        held = self.valid_leases("annotate")
        h = held[i % len(held)]
        outcome = self._try(self.service.submit(
            self.caller(h.user), h.lease_id, h.token + delta, str(uuid.uuid4()),
            self.tasks[h.task_id].version, self.document(h.task_id), 1.0))
        assert outcome is LeaseLost

    @precondition(lambda self: self.valid_leases("annotate"))
    @rule(i=st.integers(0, 50), delta=st.sampled_from([-1, 1, 7]))
    def submit_stale_version(self, i: int, delta: int) -> None:
        """A wrong document version is refused as a conflict (compare-and-swap)."""
        held = self.valid_leases("annotate")
        h = held[i % len(held)]
        outcome = self._try(self.service.submit(
            self.caller(h.user), h.lease_id, h.token, str(uuid.uuid4()),
            self.tasks[h.task_id].version + delta, self.document(h.task_id), 1.0))
        assert outcome is VersionConflict

    @precondition(lambda self: self.leases)
    @rule(i=st.integers(0, 50))
    def release(self, i: int) -> None:
        """Release ends a valid lease and re-queues the task at its stage."""
        h = self.leases[i % len(self.leases)]
        outcome = self._try(self.service.release(self.caller(h.user), h.lease_id, h.token,
                                                 "", ""))
        if h.valid:
            assert outcome == self.tasks[h.task_id].stage
            h.valid = False
        else:
            assert outcome is LeaseLost

    @precondition(lambda self: self.valid_leases())
    @rule(i=st.integers(0, 50))
    def expire(self, i: int) -> None:
        """A lease past its expiry is swept and can no longer be used."""
        held = self.valid_leases()
        h = held[i % len(held)]
        self.run(self.service.pool.execute(
            "UPDATE leases SET expires_at = now() - interval '1s' WHERE lease_id = $1",
            uuid.UUID(h.lease_id)))
        assert self.run(self.service.sweep_expired()) >= 1
        h.valid = False

    @precondition(lambda self: self.valid_leases("review"))
    @rule(i=st.integers(0, 50), approve=st.booleans())
    def review(self, i: int, approve: bool) -> None:
        """Approve accepts (no QA sample); reject sends the task back to annotate."""
        held = self.valid_leases("review")
        h = held[i % len(held)]
        model = self.tasks[h.task_id]
        key = str(uuid.uuid4())
        verdict = Verdict.APPROVE if approve else Verdict.REJECT
        result = self.run(self.service.review(
            self.caller(h.user), h.lease_id, h.token, key, model.version, verdict,
            [] if approve else ["box too long"], None))
        assert not result["replayed"]
        self.acks.append(Ack(h.user, key, h, result, review=True, version=model.version,
                             verdict=verdict, comments=() if approve else ("box too long",)))
        model.stage = "accepted" if approve else "annotate"
        assert result["next_stage"] == model.stage
        h.valid = False
        if approve:
            model.accepted_document = self.run(self.service.pool.fetchval(
                "SELECT document FROM tasks WHERE task_id = $1", h.task_id))

    def _try(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """The call's result, or the class of the domain error it raised."""
        try:
            return self.run(coro)
        except (LeaseLost, NotYourLease, VersionConflict, NotFound) as exc:
            return type(exc)
        except Exception as exc:  # any other refusal, e.g. an illegal transition
            return exc

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def database_agrees_with_model(self) -> None:
        """Stages, versions, valid leases, accepted documents and acks all match."""
        if not self.tasks:
            return
        rows = self.run(self.service.pool.fetch(
            "SELECT t.task_id, t.stage, t.document_version, t.document, "
            "(SELECT count(*) FROM leases l WHERE l.task_id = t.task_id AND l.state = 'active'"
            " AND l.expires_at > now()) AS valid_leases "
            "FROM tasks t WHERE t.batch_id = $1", self.project))
        for r in rows:
            model = self.tasks[r["task_id"]]
            assert r["valid_leases"] <= 1, "two valid leases on one task"
            expected = sum(1 for h in self.valid_leases() if h.task_id == r["task_id"])
            assert r["valid_leases"] == expected
            assert (r["stage"], r["document_version"]) == (model.stage, model.version)
            if model.accepted_document is not None:
                assert r["stage"] == "accepted" and r["document"] == model.accepted_document
        self._acks_present()

    def _acks_present(self) -> None:
        if not self.acks:
            return
        found = dict(self.run(self.service.pool.fetch(
            "SELECT idempotency_key, submission_id::text FROM submissions "
            "WHERE idempotency_key = ANY($1::text[])", [a.key for a in self.acks])))
        for ack in self.acks:
            assert found.get(ack.key) == str(ack.result["submission_id"]), "acked but lost"


@pytest.fixture
def lifecycle_service(database_url: str) -> Iterator[tuple[Background, SchedulerService]]:
    """A SchedulerService on the test's fresh database, driven from a background loop."""
    bg = Background()
    cfg = SchedulerConfig(lease_ttl_s=600, workflow=WorkflowConfig(qa_sample_rate=0.0))
    pool: asyncpg.Pool = bg.run(create_pool(database_url, max_size=2))
    try:
        yield bg, SchedulerService(pool, NoPresign(), cfg, None)
    finally:
        bg.run(pool.close())
        bg.close()


def test_task_lifecycle_keeps_its_invariants(
        lifecycle_service: tuple[Background, SchedulerService]) -> None:
    """Any interleaving of lifecycle calls keeps the model and the database in step."""
    Lifecycle.bg, Lifecycle.service = lifecycle_service
    run_state_machine_as_test(Lifecycle, settings=settings(
        max_examples=30, stateful_step_count=30, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
