"""OpsService: batch status, throughput, cost and annotator figures for ops teams."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import asyncpg
import grpc

from roadlabel.v1 import ops_pb2, ops_pb2_grpc
from scheduler.auth import caller
from scheduler.convert import STAGE_TO_PB, timestamp
from scheduler.cost import cost_per_frame
from scheduler.db import connection
from scheduler.errors import NotFound, PermissionDenied
from scheduler.ops_loop import BatchFigures, OpsConfig, batch_figures, read_annotators
from scheduler.queries import q
from scheduler.service import OpsQueries, SchedulerService
from scheduler.status import grpc_errors, grpc_stream_errors

READERS = ("ops", "admin", "qa")


def _require_reader() -> None:
    who = caller()
    if who.role not in READERS:
        raise PermissionDenied(f"role '{who.role}' may not read ops figures")


async def _require_batch_reader(pool: asyncpg.Pool, batch_id: str) -> None:
    """A reader role, and membership of the batch's project."""
    _require_reader()
    async with connection(pool) as conn:
        project = await conn.fetchval(q("batch_project"), batch_id)
    if project is None:
        raise NotFound(f"batch '{batch_id}' does not exist")
    if project not in caller().projects:
        raise PermissionDenied(f"batch '{batch_id}' belongs to project '{project}', "
                               "of which you are not a member")


class OpsServicer(ops_pb2_grpc.OpsServiceServicer):
    """Read-only figures for ops teams."""

    def __init__(self, service: SchedulerService, target_cost_per_frame: float = 0.5,
                 currency: str = "USD") -> None:
        self.service = service
        self.queries = OpsQueries(service.pool)
        self.target = target_cost_per_frame
        self.currency = currency
        self.cfg = OpsConfig(target_cost_per_frame=target_cost_per_frame,
                             qa_sample_rate=service.cfg.workflow.qa_sample_rate)

    async def _figures(self, batch_id: str) -> BatchFigures:
        figures = await batch_figures(self.service.pool, batch_id, self.cfg)
        if figures is None:
            raise NotFound(f"batch '{batch_id}' does not exist")
        return figures

    async def _status(self, batch_id: str) -> ops_pb2.BatchStatus:
        s = await self.service.batch_status(batch_id)
        f = await self._figures(batch_id)
        status = ops_pb2.BatchStatus(
            batch_id=batch_id,
            stages=[ops_pb2.StageCount(stage=STAGE_TO_PB[k], tasks=v)
                    for k, v in sorted(s["stages"].items())],
            frames_total=s["frames_total"], frames_accepted=s["frames_accepted"],
            deadline=timestamp(f.deadline), at_risk=f.at_risk, priority=f.priority,
            accepted_frames_per_hour=f.accepted_frames_per_hour,
            cost_per_frame=f.cost_per_frame,
            projected_cost_per_frame=f.projected_cost_per_frame)
        if f.eta is not None:
            status.eta.CopyFrom(timestamp(f.eta))
        return status

    @grpc_errors
    async def GetBatchStatus(
        self, request: ops_pb2.GetBatchStatusRequest, context: grpc.aio.ServicerContext
    ) -> ops_pb2.GetBatchStatusResponse:
        await _require_batch_reader(self.service.pool, request.batch_id)
        return ops_pb2.GetBatchStatusResponse(status=await self._status(request.batch_id))

    @grpc_stream_errors
    async def WatchBatch(self, request: ops_pb2.WatchBatchRequest,
                         context: grpc.aio.ServicerContext
                         ) -> AsyncIterator[ops_pb2.WatchBatchResponse]:
        await _require_batch_reader(self.service.pool, request.batch_id)
        interval = max(request.interval_s, 0.2) if request.interval_s else 2.0
        last = None
        while True:
            status = await self._status(request.batch_id)
            if status != last:
                yield ops_pb2.WatchBatchResponse(status=status)
                last = status
            await asyncio.sleep(interval)

    @grpc_errors
    async def GetThroughput(
        self, request: ops_pb2.GetThroughputRequest, context: grpc.aio.ServicerContext
    ) -> ops_pb2.GetThroughputResponse:
        await _require_batch_reader(self.service.pool, request.batch_id)
        tasks, frames = await self.queries.throughput(request.batch_id, request.window_s or 3600.0)
        return ops_pb2.GetThroughputResponse(accepted_frames_per_hour=frames,
                                             accepted_tasks_per_hour=tasks)

    @grpc_errors
    async def GetCostReport(
        self, request: ops_pb2.GetCostReportRequest, context: grpc.aio.ServicerContext
    ) -> ops_pb2.GetCostReportResponse:
        await _require_batch_reader(self.service.pool, request.batch_id)
        lines = await self.queries.cost(request.batch_id)
        f = await self._figures(request.batch_id)
        total = sum(float(r["cost"]) for r in lines)
        currencies = {r["currency"] for r in lines if r["currency"]}
        return ops_pb2.GetCostReportResponse(
            currency=currencies.pop() if len(currencies) == 1 else self.currency,
            total_cost=total, frames=f.frames_unique,
            cost_per_frame=cost_per_frame(total, f.frames_unique),
            target_cost_per_frame=f.target_cost_per_frame,
            lines=[ops_pb2.CostLine(kind=r["kind"], seconds=float(r["seconds"]),
                                    cost=float(r["cost"])) for r in lines])

    @grpc_errors
    async def ListAnnotatorStats(
        self, request: ops_pb2.ListAnnotatorStatsRequest, context: grpc.aio.ServicerContext
    ) -> ops_pb2.ListAnnotatorStatsResponse:
        await _require_batch_reader(self.service.pool, request.batch_id)
        async with connection(self.service.pool) as conn:
            rows = await read_annotators(conn, request.batch_id)
        return ops_pb2.ListAnnotatorStatsResponse(annotators=[
            ops_pb2.AnnotatorStats(
                user=a.user_id, tasks_submitted=a.tasks_submitted,
                active_seconds=a.active_seconds, cost=a.cost,
                frames_per_hour=a.frames_per_hour,
                # NaN: no review, QA or gold evidence on this user yet.
                quality_score=math.nan if a.quality is None else a.quality)
            for a in rows])
