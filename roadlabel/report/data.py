"""What the batch report shows, read from the scheduler's database."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import asyncpg

from roadlabel.errors import UserError
from scheduler.cost import TradeoffPoint, qa_tradeoff
from scheduler.db import connection
from scheduler.ops_loop import (
    AnnotatorFigures,
    BatchFigures,
    OpsConfig,
    read_annotators,
    read_figures,
    read_rollup,
)
from scheduler.queries import q

T = TypeVar("T")

QA_RATES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class ReportData:
    """Everything the report plots about one batch."""

    figures: BatchFigures
    currency: str
    accepts: list[tuple[datetime, int]]
    cost_by_kind: dict[str, float]
    frame_costs: list[float]
    annotators: list[AnnotatorFigures]
    qa_rate: float
    error_rate: float
    qa_cost_per_frame: float
    qa_cost_observed: bool
    tradeoff: list[TradeoffPoint]
    events: list[tuple[datetime, str]]


async def load(pool: asyncpg.Pool, batch_id: str, cfg: OpsConfig) -> ReportData | None:
    """The report's data for one batch; None when the batch does not exist."""
    async with connection(pool) as conn:
        found = await read_figures(conn, [batch_id], cfg)
        if not found:
            return None
        roll = await read_rollup(conn, batch_id)
        spans = await conn.fetch(q("ops_task_spans"), batch_id)
        annotators = await read_annotators(conn, batch_id)
        verdicts = {r["stage"]: r for r in await conn.fetch(q("ops_verdict_counts"), batch_id)}
        work = {r["stage"]: r for r in await conn.fetch(q("ops_stage_work"), batch_id)}
        total = await conn.fetchrow(q("ops_ledger_total"), batch_id)
        events = [(r["at"], r["kind"]) for r in await conn.fetch(q("ops_batch_events"), batch_id)]
        sampled = await conn.fetchrow(q("ops_qa_sample_totals"), batch_id)
    f = found[0]
    error_rate = _error_rate(verdicts, sampled)
    qa_unit, observed = _unit(work, "qa")
    if not observed:  # no QA yet: a QA check costs about what a review does
        qa_unit, _ = _unit(work, "review")
    frames = max(f.frames_unique, 1)
    base = (roll.total - roll.by_kind.get("qa", 0.0)) / frames
    return ReportData(
        figures=f, currency=total["currency"] or "USD",
        accepts=sorted((r["accepted_at"], int(r["end_frame"] - r["first_frame"]))
                       for r in spans if r["stage"] == "accepted" and r["accepted_at"]),
        cost_by_kind=roll.by_kind, frame_costs=list(roll.by_frame.values()),
        annotators=annotators, qa_rate=cfg.qa_sample_rate, error_rate=error_rate,
        qa_cost_per_frame=qa_unit, qa_cost_observed=observed,
        tradeoff=qa_tradeoff(QA_RATES, base, qa_unit, error_rate, f.frames_total),
        events=events)


def _unit(work: dict[str, asyncpg.Record], stage: str) -> tuple[float, bool]:
    r = work.get(stage)
    if r is None or int(r["frames_done"]) == 0:
        return 0.0, False
    return float(r["cost"]) / int(r["frames_done"]), True


async def schema_hint(work: Awaitable[T]) -> T:
    """Await work; a missing table or column becomes a hint to migrate."""
    try:
        return await work
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError) as exc:
        raise UserError(f"the database schema is out of date ({exc})",
                        "run `roadlabel db migrate`") from None


def _error_rate(verdicts: dict[str, Any], sampled: Any) -> float:
    """Share of frames checkers found wrong when they sent frame counts; else of verdicts that
    rejected."""
    if int(sampled["checked"]) > 0:
        return int(sampled["errors"]) / int(sampled["checked"])
    checked = sum(int(r["checked"]) for r in verdicts.values())
    failed = checked - sum(int(r["passed"]) for r in verdicts.values())
    return failed / checked if checked else 0.0
