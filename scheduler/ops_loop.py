"""The ops loop: each open batch's live figures, its at-risk flag and the batch gauges.

Every replica runs one loop (``OpsLoop.run_forever``). It reads each open batch's figures
from the database, decides with ``scheduler.sla`` whether the batch is at risk, flips
``batches.at_risk`` (which moves the batch ahead in Lease ordering) with an event, and
publishes the ``roadlabel_batch_*`` gauges. The reads here also serve OpsService, and the
``roadlabel status`` and ``roadlabel report`` commands.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from scheduler.cost import (
    DEFAULT_TARGET_COST_PER_FRAME,
    HUMAN_STAGES,
    LedgerEntry,
    Rollup,
    StageWork,
    TaskSpan,
    cost_per_frame,
    frames_to_go,
    projected_cost_per_frame,
    rollup,
)
from scheduler.db import connection
from scheduler.errors import Retryable
from scheduler.queries import q
from scheduler.sla import RiskInput, SlaPolicy, at_risk, eta, frames_per_hour, seconds_to

if TYPE_CHECKING:
    from scheduler.metrics import Metrics
    from scheduler.service import SchedulerService

log = logging.getLogger("roadlabel.scheduler.ops")

#: Database failures a loop survives (the database restarting); anything else stops it.
TRANSIENT_DB_ERRORS = (Retryable, OSError, asyncpg.PostgresConnectionError,
                       asyncpg.CannotConnectNowError)


@dataclass(frozen=True)
class OpsConfig:
    """Tunables of the ops figures and loop."""

    interval_s: float = 5.0
    target_cost_per_frame: float = DEFAULT_TARGET_COST_PER_FRAME
    qa_sample_rate: float = 0.05
    policy: SlaPolicy = field(default_factory=SlaPolicy)


@dataclass(frozen=True)
class BatchFigures:
    """Live status of one batch."""

    batch_id: str
    project_id: str
    now: datetime
    created_at: datetime
    deadline: datetime
    priority: int
    at_risk: bool
    frames_at: dict[str, int]
    frames_total: int  # task frames: a frame in two overlapping tasks counts twice (work)
    frames_accepted: int
    accepted_frames_per_hour: float
    eta: datetime | None
    started_at: datetime | None
    cost_spent: float
    cost_per_frame: float
    projected_cost_per_frame: float
    target_cost_per_frame: float
    frames_unique: int = 0  # the delivery's frames, each once: what cost per frame divides by

    @property
    def remaining_frames(self) -> int:
        """Frames not yet accepted."""
        return self.frames_total - self.frames_accepted

    @property
    def eta_seconds(self) -> float:
        """Seconds until the ETA (infinity when there is none)."""
        return seconds_to(self.now, self.eta)

    def risk_input(self) -> RiskInput:
        """What scheduler.sla.at_risk needs about this batch."""
        return RiskInput(self.now, self.deadline, self.eta, self.remaining_frames,
                         self.started_at, self.at_risk)


async def read_figures(conn: asyncpg.Connection, batch_ids: list[str],
                       cfg: OpsConfig) -> list[BatchFigures]:
    """Figures of the given batches (unknown ids are left out), by deadline."""
    rows = await conn.fetch(q("ops_batch_figures"), batch_ids, cfg.policy.window_s)
    out = []
    for row in rows:
        work = await conn.fetch(q("ops_stage_work"), row["batch_id"])
        out.append(_figures(row, work, cfg))
    return out


def _figures(row: asyncpg.Record, work: list[asyncpg.Record], cfg: OpsConfig) -> BatchFigures:
    now: datetime = row["now"]
    frames_at = {s: int(row[f"frames_{s}"]) for s in (*HUMAN_STAGES, "accepted")}
    total, accepted = int(row["frames_total"]), int(row["frames_accepted"])
    per_hour = frames_per_hour(int(row["frames_in_window"]), cfg.policy.window_s,
                               row["started_at"], now)
    when = eta(now, total - accepted, per_hour)
    if total > 0 and accepted == total and row["last_accepted_at"] is not None:
        when = row["last_accepted_at"]  # a finished batch's ETA is when it finished
    to_go = frames_to_go(frames_at, cfg.qa_sample_rate)
    stages = {r["stage"]: StageWork(float(r["cost"]), int(r["frames_done"]), to_go[r["stage"]])
              for r in work}
    spent = float(row["cost_spent"])
    unique = int(row["frames_unique"])
    target = row["target_cost_per_frame"]
    return BatchFigures(
        batch_id=row["batch_id"], project_id=row["project_id"], now=now,
        created_at=row["created_at"], deadline=row["deadline"], priority=int(row["priority"]),
        at_risk=bool(row["at_risk"]), frames_at=frames_at, frames_total=total,
        frames_accepted=accepted, accepted_frames_per_hour=per_hour, eta=when,
        started_at=row["started_at"], cost_spent=spent,
        cost_per_frame=cost_per_frame(spent, unique),
        projected_cost_per_frame=projected_cost_per_frame(spent, stages, unique),
        target_cost_per_frame=cfg.target_cost_per_frame if target is None else float(target),
        frames_unique=unique)


async def batch_figures(pool: asyncpg.Pool, batch_id: str, cfg: OpsConfig) -> BatchFigures | None:
    """Figures of one batch; None when it does not exist."""
    async with connection(pool) as conn:
        found = await read_figures(conn, [batch_id], cfg)
    return found[0] if found else None


async def read_rollup(conn: asyncpg.Connection, batch_id: str) -> Rollup:
    """The batch's ledger rolled up per kind, sequence, task, user and frame."""
    entries = [LedgerEntry(r["kind"], float(r["cost"]), float(r["seconds"]), r["sequence_id"],
                           r["task_id"], r["user_id"])
               for r in await conn.fetch(q("ops_ledger_rollup"), batch_id)]
    spans = [TaskSpan(r["task_id"], r["sequence_id"], int(r["first_frame"]), int(r["end_frame"]))
             for r in await conn.fetch(q("ops_task_spans"), batch_id)]
    lengths = {r["sequence_id"]: int(r["frame_count"])
               for r in await conn.fetch(q("ops_sequence_frames"), batch_id)}
    return rollup(entries, spans, lengths)


class OpsLoop:
    """Refreshes at-risk flags and batch gauges every ``cfg.interval_s`` seconds."""

    def __init__(self, pool: asyncpg.Pool, metrics: Metrics | None,
                 cfg: OpsConfig | None = None) -> None:
        self.pool = pool
        self.metrics = metrics
        self.cfg = cfg or OpsConfig()
        self._published: set[str] = set()

    @classmethod
    def for_service(cls, service: SchedulerService, metrics: Metrics | None,
                    interval_s: float = 5.0) -> OpsLoop:
        """A loop over the service's pool, with its workflow's QA sampling rate."""
        return cls(service.pool, metrics, OpsConfig(
            interval_s=interval_s, qa_sample_rate=service.cfg.workflow.qa_sample_rate))

    async def tick(self) -> list[BatchFigures]:
        """Assess every open batch once; return their figures (with at_risk as now set)."""
        async with connection(self.pool) as conn:
            ids = [r["batch_id"] for r in await conn.fetch(q("ops_open_batches"))]
            figures = [await self._assess(conn, f)
                       for f in await read_figures(conn, ids, self.cfg)]
        self._publish(figures)
        return figures

    async def _assess(self, conn: asyncpg.Connection, f: BatchFigures) -> BatchFigures:
        risky = at_risk(f.risk_input(), self.cfg.policy)
        if risky == f.at_risk:
            return f
        payload = {"eta": f.eta.isoformat() if f.eta else None,
                   "deadline": f.deadline.isoformat(),
                   "accepted_frames_per_hour": f.accepted_frames_per_hour,
                   "remaining_frames": f.remaining_frames}
        changed = await conn.fetch(q("set_batch_risk"), f.batch_id, risky, payload)
        if changed:
            log.warning("batch %s %s (eta %s, deadline %s)", f.batch_id,
                        "is at risk" if risky else "is back on track", payload["eta"],
                        payload["deadline"])
        return replace(f, at_risk=risky)

    def _publish(self, figures: list[BatchFigures]) -> None:
        if self.metrics is None:
            return
        m = self.metrics
        current = {f.batch_id for f in figures}
        for gone in self._published - current:
            for gauge in (m.batch_at_risk, m.batch_projected_cost, m.batch_target_cost,
                          m.batch_eta, m.batch_throughput):
                gauge.remove(gone)
        for f in figures:
            m.batch_at_risk.labels(f.batch_id).set(1 if f.at_risk else 0)
            m.batch_projected_cost.labels(f.batch_id).set(f.projected_cost_per_frame)
            m.batch_target_cost.labels(f.batch_id).set(f.target_cost_per_frame)
            m.batch_eta.labels(f.batch_id).set(f.eta_seconds)
            m.batch_throughput.labels(f.batch_id).set(f.accepted_frames_per_hour)
        self._published = current

    async def run_forever(self) -> None:
        """Tick until cancelled; a database outage skips a tick, any other error stops it."""
        while True:
            try:
                await self.tick()
            except TRANSIENT_DB_ERRORS as exc:
                log.warning("ops figures skipped: %r", exc)
            await asyncio.sleep(self.cfg.interval_s)


def figures_dict(f: BatchFigures) -> dict[str, Any]:
    """JSON-able figures (for the CLI's --json and the report)."""
    return {"batch_id": f.batch_id, "project_id": f.project_id, "deadline": f.deadline.isoformat(),
            "eta": f.eta.isoformat() if f.eta else None, "at_risk": f.at_risk,
            "priority": f.priority, "frames_total": f.frames_total,
            "frames_accepted": f.frames_accepted, "frames_at": f.frames_at,
            "accepted_frames_per_hour": f.accepted_frames_per_hour,
            "cost_spent": f.cost_spent, "cost_per_frame": f.cost_per_frame,
            "projected_cost_per_frame": f.projected_cost_per_frame,
            "target_cost_per_frame": f.target_cost_per_frame}


@dataclass(frozen=True)
class AnnotatorFigures:
    """One user's speed, quality and cost on a batch."""

    user_id: str
    tasks_submitted: int
    frames: int
    active_seconds: float
    cost: float
    checked: int
    passed: int
    gold: float | None

    @property
    def frames_per_hour(self) -> float:
        """Frames annotated per hour of billed active time."""
        return self.frames * 3600.0 / self.active_seconds if self.active_seconds > 0 else 0.0

    @property
    def quality(self) -> float | None:
        """qa.quality_score of review/QA pass rate and gold accuracy; None without evidence."""
        from qa import quality_score

        pass_rate = self.passed / self.checked if self.checked else None
        if pass_rate is None and self.gold is None:
            return None
        return quality_score(qa=pass_rate, gold=self.gold)


async def read_annotators(conn: asyncpg.Connection, batch_id: str) -> list[AnnotatorFigures]:
    """Per-user figures of a batch, by user id."""
    rows = await conn.fetch(q("annotator_stats"), batch_id)
    evidence = {r["user_id"]: r for r in await conn.fetch(q("ops_annotator_evidence"), batch_id)}
    # Gold submissions are scored at Submit and recorded as events (SchedulerService).
    golds = {r["user_id"]: float(r["score"]) for r in await conn.fetch(q("gold_scores"), batch_id)}
    out = []
    for r in rows:
        ev = evidence.get(r["user_id"])
        out.append(AnnotatorFigures(
            r["user_id"], int(r["tasks_submitted"]), int(r["frames"]),
            float(r["active_seconds"]), float(r["cost"]),
            int(ev["checked"]) if ev else 0, int(ev["passed"]) if ev else 0,
            golds.get(r["user_id"])))
    return out

