"""Simulated annotators and reviewers over real gRPC, with per-RPC latencies and acks.

Every client retries transient failures (a replica or PostgreSQL going away) with the SAME
idempotency key, so a retried submission can never count twice. A submission counts as
acknowledged only when the client received OK for it.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc

from roadlabel.v1 import (
    annotator_pb2,
    annotator_pb2_grpc,
    labels_pb2,
    review_pb2,
    review_pb2_grpc,
    tasks_pb2,
)

#: Failures after which the same request is sent again (outcome unknown or not started).
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                       grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL,
                       grpc.StatusCode.CANCELLED, grpc.StatusCode.RESOURCE_EXHAUSTED})


@dataclass
class Plan:
    """What every simulated client of one worker does."""

    targets: list[str]
    stop_at: float  # time.time() after which no new cycle starts
    mode: str = "max"  # "max": back to back; "realistic": human think time
    think_s: tuple[float, float] = (30.0, 120.0)
    deadline_s: float = 10.0
    retry_budget_s: float = 60.0  # how long one request is retried (PostgreSQL restarts)
    tail_s: float = 15.0  # retries allowed after stop_at
    channels: int = 0  # 0: one channel per client
    heartbeats: int = 1  # per max-mode cycle (0: lease -> submit only)
    rate: float = 0.0  # max mode: cycles/s offered by all clients together (0: back to back)
    clients: int = 1  # how many clients share `rate` (all workers together)
    seed: int = 0


@dataclass
class Record:
    """What the clients of one worker saw: latencies, errors and acknowledged submissions."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)
    acked: list[tuple[str, str, str]] = field(default_factory=list)  # (user, key, submission)
    cycles: int = 0  # completed by the stop time
    late_cycles: int = 0  # completed after it (in-flight work finishing)
    reviews: int = 0
    retries: int = 0

    def ok(self, rpc: str, seconds: float) -> None:
        """One successful call."""
        self.latencies.setdefault(rpc, []).append(seconds)

    def failed(self, rpc: str, exc: grpc.aio.AioRpcError) -> None:
        """One failed call (the first message of each kind is kept as a sample)."""
        key = f"{rpc}:{exc.code().name}"
        self.errors[key] = self.errors.get(key, 0) + 1
        self.samples.setdefault(key, (exc.details() or "")[:300])

    def as_dict(self) -> dict[str, Any]:
        """Picklable form for the parent process."""
        return {"latencies": self.latencies, "errors": self.errors, "samples": self.samples,
                "acked": self.acked,
                "cycles": self.cycles, "late_cycles": self.late_cycles,
                "reviews": self.reviews, "retries": self.retries}


def channel_for(targets: list[str]) -> grpc.aio.Channel:
    """One channel balancing round-robin over every replica, with failover."""
    target = "ipv4:" + ",".join(targets)
    return grpc.aio.insecure_channel(target, options=[
        ("grpc.lb_policy_name", "round_robin"),
        ("grpc.enable_retries", 1),
        ("grpc.max_receive_message_length", 32 * 1024 * 1024),
        ("grpc.initial_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 1000),
    ])


class Sim:
    """One simulated user on a channel."""

    def __init__(self, user: str, token: str, channel: grpc.aio.Channel, plan: Plan,
                 rec: Record, rng: random.Random) -> None:
        self.user, self.plan, self.rec, self.rng = user, plan, rec, rng
        self.md = (("authorization", f"Bearer {token}"),)
        self.annotator = annotator_pb2_grpc.AnnotatorServiceStub(channel)
        self.review = review_pb2_grpc.ReviewServiceStub(channel)

    async def call(self, rpc: str, fn: Callable[..., Awaitable[Any]], request: Any) -> Any:
        """Call with a deadline; retry transient failures with the same request.

        Retries stop after the retry budget, and at most `tail_s` after the run's stop time
        (a submission's outcome is still settled by its retries, but the run stays bounded).
        """
        give_up = min(time.monotonic() + self.plan.retry_budget_s,
                      time.monotonic() + max(0.0, self.plan.stop_at - time.time())
                      + self.plan.tail_s)
        delay = 0.05
        while True:
            t0 = time.perf_counter()
            try:
                reply = await fn(request, metadata=self.md, timeout=self.plan.deadline_s)
            except grpc.aio.AioRpcError as exc:
                self.rec.failed(rpc, exc)
                if exc.code() not in RETRYABLE or time.monotonic() > give_up:
                    raise
                self.rec.retries += 1
                await asyncio.sleep(delay * (0.5 + self.rng.random()))
                delay = min(delay * 2, 2.0)
                continue
            self.rec.ok(rpc, time.perf_counter() - t0)
            return reply

    async def lease(self, stage: tasks_pb2.Stage.ValueType) -> annotator_pb2.LeaseResponse | None:
        """A lease, or None when nothing is available (or the run is over)."""
        if time.time() >= self.plan.stop_at:
            return None
        try:
            reply: annotator_pb2.LeaseResponse = await self.call(
                "Lease", self.annotator.Lease, annotator_pb2.LeaseRequest(stage=stage))
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.NOT_FOUND, *RETRYABLE):
                return None
            raise
        return reply

    async def annotate_forever(self) -> None:
        """Lease -> heartbeat(s) -> submit until the plan's stop time."""
        if self.plan.mode == "realistic":  # people do not all start in the same second
            await asyncio.sleep(self.rng.uniform(0, 20.0))
        # Paced max mode: each client starts a cycle every `interval` seconds (open loop, so
        # latency is measured at a known offered load); a late client does not burst to
        # catch up.
        interval = self.plan.clients / self.plan.rate if self.plan.rate > 0 else 0.0
        next_start = time.monotonic() + self.rng.uniform(0, interval)
        while time.time() < self.plan.stop_at:
            if interval:
                await asyncio.sleep(max(0.0, next_start - time.monotonic()))
                next_start = max(next_start + interval, time.monotonic() - interval)
            leased = await self.lease(tasks_pb2.STAGE_ANNOTATE)
            if leased is None:
                await asyncio.sleep(self.rng.uniform(0.2, 1.0))
                continue
            try:
                if await self._work_on(leased):
                    if time.time() <= self.plan.stop_at:
                        self.rec.cycles += 1
                    else:
                        self.rec.late_cycles += 1
            except grpc.aio.AioRpcError:
                continue  # already counted; a lost lease means lease again

    async def _work_on(self, leased: annotator_pb2.LeaseResponse) -> bool:
        task, lease = leased.task, leased.lease
        doc = document_for(task)
        hb = annotator_pb2.HeartbeatRequest(lease_id=lease.lease_id,
                                            fencing_token=lease.fencing_token, draft=doc,
                                            active_seconds=1.0)
        if self.plan.mode == "realistic":
            if not await self._think(hb, lease.heartbeat_interval_s or 20.0):
                return False
        else:
            for _ in range(self.plan.heartbeats):
                await self.call("Heartbeat", self.annotator.Heartbeat, hb)
        submit = annotator_pb2.SubmitRequest(
            lease_id=lease.lease_id, fencing_token=lease.fencing_token,
            idempotency_key=str(uuid.uuid4()), document_version=task.document_version,
            labels=doc, active_seconds=1.0)
        reply = await self.call("Submit", self.annotator.Submit, submit)
        self.rec.acked.append((self.user, submit.idempotency_key, reply.submission_id))
        return True

    async def _think(self, hb: annotator_pb2.HeartbeatRequest, every_s: float) -> bool:
        """Work on the task like a person, heartbeating; False when stopped before the end."""
        done_at = time.time() + self.rng.uniform(*self.plan.think_s)
        while time.time() < done_at:
            if time.time() >= self.plan.stop_at:
                await self.call("Release", self.annotator.Release, annotator_pb2.ReleaseRequest(
                    lease_id=hb.lease_id, fencing_token=hb.fencing_token))
                return False
            await asyncio.sleep(max(0.0, min(every_s, done_at - time.time(),
                                             self.plan.stop_at - time.time())))
            if time.time() < min(done_at, self.plan.stop_at):  # no heartbeat burst at stop
                await self.call("Heartbeat", self.annotator.Heartbeat, hb)
        return True

    async def review_forever(self) -> None:
        """Lease review tasks and approve them until the plan's stop time."""
        while time.time() < self.plan.stop_at:
            leased = await self.lease(tasks_pb2.STAGE_REVIEW)
            if leased is None:
                await asyncio.sleep(self.rng.uniform(0.2, 1.0))
                continue
            request = review_pb2.SubmitReviewRequest(
                lease_id=leased.lease.lease_id, fencing_token=leased.lease.fencing_token,
                idempotency_key=str(uuid.uuid4()),
                document_version=leased.task.document_version,
                verdict=review_pb2.VERDICT_APPROVE, frames_checked=len(leased.task.frames))
            try:
                await self.call("SubmitReview", self.review.SubmitReview, request)
            except grpc.aio.AioRpcError:
                continue
            self.rec.acked.append((self.user, request.idempotency_key, ""))
            self.rec.reviews += 1


def document_for(task: tasks_pb2.Task) -> labels_pb2.LabelDocument:
    """One car driving ahead through every frame of the task: valid and QA-clean."""
    doc = labels_pb2.LabelDocument(sequence_id=task.sequence_id)
    for ref in task.frames:
        f = doc.frames.add(frame_index=ref.frame_index, timestamp_s=ref.timestamp_s)
        f.boxes.add(track_id="car-1", category="car",
                    center=labels_pb2.Point3(x=10.0 + ref.frame_index - task.first_frame,
                                             y=0.0, z=0.8),
                    length=4.5, width=1.9, height=1.6, yaw=0.0, score=1.0)
    return doc


async def drive(plan: Plan, annotators: dict[str, str],
                reviewers: dict[str, str]) -> dict[str, Any]:
    """Run every simulated user of this worker until the stop time; return the record."""
    rec = Record()
    users = [(u, t, "annotate") for u, t in annotators.items()]
    users += [(u, t, "review") for u, t in reviewers.items()]
    n_channels = plan.channels or len(users)
    channels = [channel_for(plan.targets) for _ in range(max(1, min(n_channels, len(users))))]
    rng = random.Random(plan.seed)
    jobs = []
    for i, (user, token, role) in enumerate(users):
        sim = Sim(user, token, channels[i % len(channels)], plan, rec,
                  random.Random(rng.random()))
        job = sim.annotate_forever() if role == "annotate" else sim.review_forever()
        jobs.append(asyncio.create_task(job, name=f"sim-{user}"))
    try:
        await asyncio.gather(*jobs)
    finally:
        for ch in channels:
            await ch.close()
    return rec.as_dict()


def drive_in_process(plan: Plan, annotators: dict[str, str], reviewers: dict[str, str],
                     start_at: float) -> dict[str, Any]:
    """Entry point of a client worker process: wait for the common start, drive, report."""
    import gc
    import resource

    # As the replicas do: a full collection over start-up objects would stall every
    # simulated client at once and show up as server latency.
    gc.collect()
    gc.freeze()
    time.sleep(max(0.0, start_at - time.time()))
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = asyncio.run(drive(plan, annotators, reviewers))
    after = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result
