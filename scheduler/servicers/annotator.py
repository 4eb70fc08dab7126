"""AnnotatorService: Lease, Heartbeat, Submit, Release."""

from __future__ import annotations

import grpc
from grpc_status import rpc_status

from roadlabel.labels_json import document_from_dict
from roadlabel.v1 import annotator_pb2, annotator_pb2_grpc, tasks_pb2
from scheduler.auth import caller
from scheduler.convert import (
    STAGE_FROM_PB,
    STAGE_TO_PB,
    calibration_to_pb,
    document_from_pb,
    document_to_pb,
    finding_to_pb,
    timestamp,
)
from scheduler.errors import DraftNotSaved, InvalidArgument
from scheduler.service import Leased, SchedulerService
from scheduler.status import grpc_errors, to_status
from scheduler.workflow import Stage, shows_previous_labels

SKIP_REASONS = {
    annotator_pb2.SKIP_REASON_AMBIGUOUS: "ambiguous",
    annotator_pb2.SKIP_REASON_BAD_FRAMES: "bad_frames",
    annotator_pb2.SKIP_REASON_GUIDELINE_QUESTION: "guideline_question",
    annotator_pb2.SKIP_REASON_OTHER: "other",
}


class AnnotatorServicer(annotator_pb2_grpc.AnnotatorServiceServicer):
    """Pull-based work for every role that labels or checks labels."""

    def __init__(self, service: SchedulerService) -> None:
        self.service = service

    @grpc_errors
    async def Lease(self, request: annotator_pb2.LeaseRequest,
                    context: grpc.aio.ServicerContext) -> annotator_pb2.LeaseResponse:
        if request.stage and request.stage not in STAGE_FROM_PB:
            raise InvalidArgument([("stage", f"{request.stage} is not a stage tasks are leased "
                                             f"at; leave it unset or name annotate, review or qa")])
        stage = Stage(STAGE_FROM_PB[request.stage]) if request.stage else None
        if "\x00" in request.request_id or len(request.request_id) > 200:
            raise InvalidArgument([("request_id", "at most 200 characters, no NUL")])
        leased = await self.service.lease(caller(), stage, request.project_id, request.skills,
                                          request.request_id)
        return annotator_pb2.LeaseResponse(task=self._task(leased), lease=self._lease(leased))

    def _lease(self, leased: Leased) -> tasks_pb2.LeaseInfo:
        return tasks_pb2.LeaseInfo(
            lease_id=leased.lease_id, fencing_token=leased.fencing_token,
            expires_at=timestamp(leased.expires_at),
            heartbeat_interval_s=self.service.cfg.lease_ttl_s / 3.0)

    def _task(self, leased: Leased) -> tasks_pb2.Task:
        t = leased.task
        task = tasks_pb2.Task(
            task_id=t["task_id"], batch_id=t["batch_id"], sequence_id=t["sequence_id"],
            first_frame=t["first_frame"], end_frame=t["end_frame"], overlap=t["overlap"],
            stage=STAGE_TO_PB[t["stage"]], deadline=timestamp(leased.deadline),
            calibration=calibration_to_pb(leased.calibration),
            document_version=t["document_version"], ontology_version=t["ontology_version"],
            project_id=t["project_id"], review_comments=t["review_comments"])
        urls: dict[str, str] = {}
        for f in leased.frames:
            url = urls.get(f["key"]) or urls.setdefault(f["key"], self.service.frame_url(f["key"]))
            task.frames.add(frame_index=f["frame_index"], timestamp_s=f["timestamp_s"], url=url,
                            offset=f["offset"], length=f["length"], sha256=f["sha256"])
        if t.get("prelabels"):
            task.prelabels.CopyFrom(document_to_pb(document_from_dict(t["prelabels"])))
        # Resume from the saved draft, else from the last submitted labels (review, rework).
        previous = shows_previous_labels(t["kind"], t["stage"], bool(t["review_comments"]))
        draft = leased.draft or (t.get("document") if previous else None)
        if draft:
            task.draft.CopyFrom(document_to_pb(document_from_dict(draft)))
        return task

    @grpc_errors
    async def Heartbeat(self, request: annotator_pb2.HeartbeatRequest,
                        context: grpc.aio.ServicerContext) -> annotator_pb2.HeartbeatResponse:
        draft = document_from_pb(request.draft) if request.HasField("draft") else None
        try:
            result = await self.service.heartbeat(caller(), request.lease_id,
                                                  request.fencing_token, draft,
                                                  request.active_seconds)
        except DraftNotSaved as exc:
            # The extended lease travels in the error's details, beside the BadRequest.
            status = to_status(exc)
            status.details.add().Pack(self._extended(request, exc.expires_at))
            await context.abort_with_status(rpc_status.to_status(status))
        return annotator_pb2.HeartbeatResponse(
            lease=self._extended(request, result["expires_at"]),
            draft_version=int(result["draft_version"]))

    def _extended(self, request: annotator_pb2.HeartbeatRequest,
                  expires_at: str) -> tasks_pb2.LeaseInfo:
        return tasks_pb2.LeaseInfo(
            lease_id=request.lease_id, fencing_token=request.fencing_token,
            expires_at=timestamp(expires_at),
            heartbeat_interval_s=self.service.cfg.lease_ttl_s / 3.0)

    @grpc_errors
    async def Submit(self, request: annotator_pb2.SubmitRequest,
                     context: grpc.aio.ServicerContext) -> annotator_pb2.SubmitResponse:
        doc = document_from_pb(request.labels)
        result = await self.service.submit(caller(), request.lease_id, request.fencing_token,
                                           request.idempotency_key, request.document_version,
                                           doc, request.active_seconds)
        return annotator_pb2.SubmitResponse(
            submission_id=str(result["submission_id"]),
            next_stage=STAGE_TO_PB[result["next_stage"]],
            document_version=int(result["document_version"]),
            findings=[finding_to_pb(f) for f in result["findings"]],
            replayed=bool(result["replayed"]))

    @grpc_errors
    async def Release(self, request: annotator_pb2.ReleaseRequest,
                      context: grpc.aio.ServicerContext) -> annotator_pb2.ReleaseResponse:
        reason = SKIP_REASONS.get(request.reason, "")
        stage = await self.service.release(caller(), request.lease_id, request.fencing_token,
                                           reason, request.comment)
        return annotator_pb2.ReleaseResponse(stage=STAGE_TO_PB[stage])
