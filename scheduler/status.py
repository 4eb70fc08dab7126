"""Domain errors to gRPC status codes, with google.rpc rich details where they help."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from scheduler.errors import (
    AlreadyExists,
    IllegalTransition,
    InvalidArgument,
    LeaseLost,
    NotFound,
    NotYourLease,
    PermissionDenied,
    QARefused,
    Retryable,
    SchedulerError,
    Unauthenticated,
    VersionConflict,
)

_CODES: dict[type[SchedulerError], tuple[grpc.StatusCode, int]] = {
    LeaseLost: (grpc.StatusCode.ABORTED, code_pb2.ABORTED),
    VersionConflict: (grpc.StatusCode.ABORTED, code_pb2.ABORTED),
    NotYourLease: (grpc.StatusCode.PERMISSION_DENIED, code_pb2.PERMISSION_DENIED),
    PermissionDenied: (grpc.StatusCode.PERMISSION_DENIED, code_pb2.PERMISSION_DENIED),
    Unauthenticated: (grpc.StatusCode.UNAUTHENTICATED, code_pb2.UNAUTHENTICATED),
    IllegalTransition: (grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION),
    QARefused: (grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION),
    NotFound: (grpc.StatusCode.NOT_FOUND, code_pb2.NOT_FOUND),
    InvalidArgument: (grpc.StatusCode.INVALID_ARGUMENT, code_pb2.INVALID_ARGUMENT),
    AlreadyExists: (grpc.StatusCode.ALREADY_EXISTS, code_pb2.ALREADY_EXISTS),
    Retryable: (grpc.StatusCode.UNAVAILABLE, code_pb2.UNAVAILABLE),
}

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def to_status(exc: SchedulerError) -> status_pb2.Status:
    """The google.rpc.Status for a domain error."""
    kind = next((k for k in type(exc).__mro__ if k in _CODES), None)
    _, code = _CODES[kind] if kind else (grpc.StatusCode.INTERNAL, code_pb2.INTERNAL)
    status = status_pb2.Status(code=code, message=str(exc))
    if isinstance(exc, InvalidArgument):
        detail = error_details_pb2.BadRequest()
        for field, description in exc.violations:
            detail.field_violations.add(field=field, description=description)
        status.details.add().Pack(detail)
    if isinstance(exc, QARefused):
        detail_q = error_details_pb2.PreconditionFailure()
        for f in exc.findings:
            tracks = f.get("track_ids", ())
            subject = ",".join(str(t) for t in tracks) if isinstance(tracks, list | tuple) else ""
            detail_q.violations.add(type=f"qa.{f['check']}", subject=subject,
                                    description=str(f.get("message", "")))
        status.details.add().Pack(detail_q)
        for f in exc.findings:  # the numbers too, so a client can point at frames and tracks
            status.details.add().Pack(finding_info(f))
    return status


def finding_info(finding: dict[str, Any]) -> error_details_pb2.ErrorInfo:
    """One QA finding as google.rpc.ErrorInfo: frames and track ids comma-separated, value
    and threshold in the unit the check's message names."""
    def joined(key: str) -> str:
        return ",".join(str(x) for x in finding.get(key) or ())

    return error_details_pb2.ErrorInfo(
        reason=f"QA_{str(finding['check']).upper()}", domain="qa.roadlabel",
        metadata={"check": str(finding["check"]), "frames": joined("frames"),
                  "track_ids": joined("track_ids"), "value": repr(float(finding["value"])),
                  "threshold": repr(float(finding["threshold"]))})


def grpc_errors(method: F) -> F:
    """Decorator for servicer methods: domain errors abort the call with their status."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await method(self, request, context)
        except SchedulerError as exc:
            await context.abort_with_status(rpc_status.to_status(to_status(exc)))

    return wrapper  # type: ignore[return-value]


S = TypeVar("S", bound=Callable[..., AsyncIterator[Any]])


def grpc_stream_errors(method: S) -> S:
    """The same as grpc_errors, for server-streaming methods."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            async for item in method(self, request, context):
                yield item
        except SchedulerError as exc:
            await context.abort_with_status(rpc_status.to_status(to_status(exc)))

    return wrapper  # type: ignore[return-value]
