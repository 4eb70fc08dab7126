"""Domain errors of the scheduler; servicers map each to one gRPC status code."""

from __future__ import annotations


class SchedulerError(Exception):
    """Base of all scheduler domain errors."""


class LeaseLost(SchedulerError):
    """The lease expired, ended, or a newer fencing token exists (gRPC ABORTED)."""


class VersionConflict(SchedulerError):
    """The submitted document version is stale (gRPC ABORTED)."""


class NotYourLease(SchedulerError):
    """The lease belongs to another user (gRPC PERMISSION_DENIED)."""


class IllegalTransition(SchedulerError):
    """The task cannot move that way from its stage (gRPC FAILED_PRECONDITION)."""


class StaleContext(SchedulerError):
    """The task is not the one a document was validated for (never reaches a client: the
    replica looks the task up, validates again and resubmits)."""


class NotFound(SchedulerError):
    """No such batch, project, task or nothing to lease (gRPC NOT_FOUND)."""


class Unauthenticated(SchedulerError):
    """Missing or unknown bearer token (gRPC UNAUTHENTICATED)."""


class PermissionDenied(SchedulerError):
    """The caller's role or projects do not allow this call (gRPC PERMISSION_DENIED)."""


class AlreadyExists(SchedulerError):
    """A write collides with a row that exists already (gRPC ALREADY_EXISTS)."""


class InvalidArgument(SchedulerError):
    """A request field is malformed; carries (field, description) pairs (gRPC INVALID_ARGUMENT)."""

    def __init__(self, violations: list[tuple[str, str]], summary: str = "") -> None:
        details = "; ".join(f"{f}: {d}" for f, d in violations)
        super().__init__(f"{summary}: {details}" if summary else details)
        self.violations = violations


class DraftNotSaved(InvalidArgument):
    """A heartbeat's draft cannot be stored; the lease was extended all the same, until
    expires_at (gRPC INVALID_ARGUMENT)."""

    def __init__(self, violations: list[tuple[str, str]], expires_at: str) -> None:
        super().__init__(violations, f"the lease was extended until {expires_at} but the draft "
                                     "was not saved (the last saved draft is kept)")
        self.expires_at = expires_at


class QARefused(SchedulerError):
    """Blocking QA findings refuse a submission (gRPC FAILED_PRECONDITION with details)."""

    def __init__(self, findings: list[dict[str, object]]) -> None:
        super().__init__(f"{len(findings)} blocking QA finding(s)")
        self.findings = findings


class Retryable(SchedulerError):
    """A transient database failure (deadlock, serialization, lost connection): the client
    retries the same call, which its idempotency key makes safe (gRPC UNAVAILABLE)."""
