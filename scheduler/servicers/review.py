"""ReviewService: review and QA decisions, and the QA lead's queue of skips."""

from __future__ import annotations

import grpc

from roadlabel.v1 import annotator_pb2, review_pb2, review_pb2_grpc
from scheduler.auth import caller
from scheduler.convert import STAGE_TO_PB, document_from_pb
from scheduler.errors import InvalidArgument, PermissionDenied
from scheduler.service import SchedulerService
from scheduler.servicers.annotator import SKIP_REASONS
from scheduler.status import grpc_errors
from scheduler.workflow import Verdict

_VERDICTS = {review_pb2.VERDICT_APPROVE: Verdict.APPROVE, review_pb2.VERDICT_REJECT: Verdict.REJECT}
_REASONS_BACK = {v: k for k, v in SKIP_REASONS.items()}


class ReviewServicer(review_pb2_grpc.ReviewServiceServicer):
    """Decisions of reviewers and QA, and the skip queue."""

    def __init__(self, service: SchedulerService) -> None:
        self.service = service

    @grpc_errors
    async def SubmitReview(self, request: review_pb2.SubmitReviewRequest,
                           context: grpc.aio.ServicerContext) -> review_pb2.SubmitReviewResponse:
        verdict = _VERDICTS.get(request.verdict)
        if verdict is None:
            raise InvalidArgument([("verdict", "must be VERDICT_APPROVE or VERDICT_REJECT")])
        corrected = document_from_pb(request.corrected) if request.HasField("corrected") else None
        sample = (request.frames_checked, request.frames_with_errors) \
            if request.frames_checked or request.frames_with_errors else None
        result = await self.service.review(
            caller(), request.lease_id, request.fencing_token, request.idempotency_key,
            request.document_version, verdict, list(request.comments), corrected,
            request.active_seconds, sample)
        return review_pb2.SubmitReviewResponse(next_stage=STAGE_TO_PB[result["next_stage"]],
                                               replayed=bool(result["replayed"]))

    @grpc_errors
    async def ListSkips(self, request: review_pb2.ListSkipsRequest,
                        context: grpc.aio.ServicerContext) -> review_pb2.ListSkipsResponse:
        who = caller()
        if who.role not in ("qa", "admin", "ops"):
            raise PermissionDenied("only QA leads, ops and admins see the skip queue")
        if not 0 <= request.page_size <= 1000:
            raise InvalidArgument([("page_size", f"{request.page_size} is not in [0, 1000] "
                                                 "(0 means 100)")])
        rows = await self.service.list_skips(who, request.project_id, request.page_size or 100)
        return review_pb2.ListSkipsResponse(skips=[
            review_pb2.Skip(task_id=r["task_id"], user=r["user_id"],
                            reason=_REASONS_BACK.get(r["reason"],
                                                     annotator_pb2.SKIP_REASON_OTHER),
                            comment=r["comment"], skipped_at=r["created_at"].isoformat())
            for r in rows])
