"""OpsService: batch status, throughput, cost and annotator figures for ops teams."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc

from roadlabel.v1 import ops_pb2, ops_pb2_grpc
from scheduler.auth import caller
from scheduler.convert import STAGE_TO_PB, timestamp
from scheduler.errors import PermissionDenied
from scheduler.service import OpsQueries, SchedulerService
from scheduler.status import grpc_errors, grpc_stream_errors

READERS = ("ops", "admin", "qa")


def _require_reader() -> None:
    who = caller()
    if who.role not in READERS:
        raise PermissionDenied(f"role '{who.role}' may not read ops figures")


class OpsServicer(ops_pb2_grpc.OpsServiceServicer):
    """Read-only figures for ops teams."""

    def __init__(self, service: SchedulerService, target_cost_per_frame: float = 0.5,
                 currency: str = "USD") -> None:
        self.service = service
        self.queries = OpsQueries(service.pool)
        self.target = target_cost_per_frame
        self.currency = currency

    async def _status(self, batch_id: str) -> ops_pb2.BatchStatus:
        s = await self.service.batch_status(batch_id)
        b = s["batch"]
        return ops_pb2.BatchStatus(
            batch_id=batch_id,
            stages=[ops_pb2.StageCount(stage=STAGE_TO_PB[k], tasks=v)
                    for k, v in sorted(s["stages"].items())],
            frames_total=s["frames_total"], frames_accepted=s["frames_accepted"],
            deadline=timestamp(b["deadline"]), at_risk=b["at_risk"], priority=b["priority"])

    @grpc_errors
    async def GetBatchStatus(
        self, request: ops_pb2.GetBatchStatusRequest, context: grpc.aio.ServicerContext
    ) -> ops_pb2.GetBatchStatusResponse:
        _require_reader()
        return ops_pb2.GetBatchStatusResponse(status=await self._status(request.batch_id))

    @grpc_stream_errors
    async def WatchBatch(self, request: ops_pb2.WatchBatchRequest,
                         context: grpc.aio.ServicerContext
                         ) -> AsyncIterator[ops_pb2.WatchBatchResponse]:
        _require_reader()
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
        _require_reader()
        tasks, frames = await self.queries.throughput(request.batch_id, request.window_s or 3600.0)
        return ops_pb2.GetThroughputResponse(accepted_frames_per_hour=frames,
                                             accepted_tasks_per_hour=tasks)

    @grpc_errors
    async def GetCostReport(
        self, request: ops_pb2.GetCostReportRequest, context: grpc.aio.ServicerContext
    ) -> ops_pb2.GetCostReportResponse:
        _require_reader()
        lines = await self.queries.cost(request.batch_id)
        status = await self.service.batch_status(request.batch_id)
        total = sum(float(r["cost"]) for r in lines)
        frames = int(status["frames_total"])
        return ops_pb2.GetCostReportResponse(
            currency=self.currency, total_cost=total, frames=frames,
            cost_per_frame=total / frames if frames else 0.0,
            target_cost_per_frame=self.target,
            lines=[ops_pb2.CostLine(kind=r["kind"], seconds=float(r["seconds"]),
                                    cost=float(r["cost"])) for r in lines])

    @grpc_errors
    async def ListAnnotatorStats(
        self, request: ops_pb2.ListAnnotatorStatsRequest, context: grpc.aio.ServicerContext
    ) -> ops_pb2.ListAnnotatorStatsResponse:
        _require_reader()
        rows = await self.queries.annotators(request.batch_id)
        return ops_pb2.ListAnnotatorStatsResponse(annotators=[
            ops_pb2.AnnotatorStats(
                user=r["user_id"], tasks_submitted=int(r["tasks_submitted"]),
                active_seconds=float(r["active_seconds"]), cost=float(r["cost"]),
                frames_per_hour=(float(r["frames"]) * 3600.0 / float(r["active_seconds"])
                                 if r["active_seconds"] else 0.0))
            for r in rows])
