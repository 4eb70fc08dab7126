"""IngestService: batches, sequences with frames and segments, and pre-labels."""

from __future__ import annotations

import grpc

from roadlabel.v1 import ingest_pb2, ingest_pb2_grpc
from scheduler.auth import Caller, caller
from scheduler.convert import document_from_pb
from scheduler.errors import InvalidArgument, PermissionDenied
from scheduler.service import SchedulerService, require_project
from scheduler.status import grpc_errors

WRITERS = ("admin", "ops")


def _require_writer() -> Caller:
    who = caller()
    if who.role not in WRITERS:
        raise PermissionDenied(f"role '{who.role}' may not register work; use an ops token")
    return who


class IngestServicer(ingest_pb2_grpc.IngestServiceServicer):
    """Registration of ingested work."""

    def __init__(self, service: SchedulerService) -> None:
        self.service = service

    @grpc_errors
    async def CreateBatch(self, request: ingest_pb2.CreateBatchRequest,
                          context: grpc.aio.ServicerContext) -> ingest_pb2.CreateBatchResponse:
        who = _require_writer()
        if not request.batch_id or not request.project_id:
            raise InvalidArgument([(f, "required") for f in ("batch_id", "project_id")
                                   if not getattr(request, f)])
        deadline = request.deadline.ToDatetime(tzinfo=None) if request.HasField("deadline") else None
        if deadline is not None:
            from datetime import UTC

            deadline = deadline.replace(tzinfo=UTC)
        require_project(who, request.project_id)
        created = await self.service.create_batch(request.batch_id, request.project_id,
                                                  deadline, request.priority)
        return ingest_pb2.CreateBatchResponse(batch_id=request.batch_id, created=created)

    @grpc_errors
    async def RegisterSequence(
        self, request: ingest_pb2.RegisterSequenceRequest, context: grpc.aio.ServicerContext
    ) -> ingest_pb2.RegisterSequenceResponse:
        who = _require_writer()
        await self.service.require_batch(who, request.batch_id)
        frames = [{"frame_index": f.frame_index, "pts": f.pts, "timestamp_s": f.timestamp_s,
                   "sha256": f.sha256, "key": f.key, "offset": f.offset, "length": f.length}
                  for f in request.frames]
        segments = [(s.first_frame, s.end_frame) for s in request.segments]
        bad = [(f"segments[{i}]", "end_frame must be greater than first_frame")
               for i, (a, b) in enumerate(segments) if b <= a]
        if bad or not request.sequence_id:
            raise InvalidArgument(bad or [("sequence_id", "required")])
        cal = request.calibration
        calibration = {"fx": cal.fx, "fy": cal.fy, "cx": cal.cx, "cy": cal.cy,
                       "width": cal.width, "height": cal.height,
                       "camera_to_ego": list(cal.camera_to_ego)}
        result = await self.service.register_sequence(
            request.batch_id, request.sequence_id, request.source_uri, request.decoder_version,
            calibration, frames, segments, request.overlap, request.cpu_seconds,
            request.gpu_seconds)
        return ingest_pb2.RegisterSequenceResponse(frames=result["frames"], tasks=result["tasks"],
                                                   created=result["created"])

    @grpc_errors
    async def RegisterPrelabels(
        self, request: ingest_pb2.RegisterPrelabelsRequest, context: grpc.aio.ServicerContext
    ) -> ingest_pb2.RegisterPrelabelsResponse:
        who = _require_writer()
        await self.service.require_batch(who, request.batch_id)
        doc = document_from_pb(request.prelabels, request.first_frame)
        task_id = await self.service.register_prelabels(
            request.batch_id, request.sequence_id, request.first_frame, doc,
            request.cpu_seconds, request.gpu_seconds)
        return ingest_pb2.RegisterPrelabelsResponse(task_id=task_id)
