"""SLA maths: live throughput, ETA and at-risk detection of a batch, as pure functions.

The ops loop feeds these with what the database holds; a batch found at risk is leased ahead
of the others (rl_lease orders by ``at_risk`` first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

HOUR_S = 3600.0


@dataclass(frozen=True)
class SlaPolicy:
    """How throughput is measured and when a batch counts as at risk."""

    #: Throughput is measured over the last window_s seconds (or since work began, if later).
    window_s: float = 3600.0
    #: With no accepted frame at all, a batch is at risk only after this long at work: a
    #: batch's first tasks take a while to pass annotate, review and QA.
    stall_after_s: float = 900.0
    #: An at-risk batch is back on track only when its ETA is this far before the deadline,
    #: so a batch whose ETA hovers at the deadline does not flap.
    hysteresis_s: float = 300.0


def frames_per_hour(frames_in_window: int, window_s: float, started_at: datetime | None,
                    now: datetime) -> float:
    """Accepted frames per hour over the window, or over the time since work began if shorter.

    A batch that began 10 minutes ago and accepted 100 frames runs at 600 frames/hour, not
    100: dividing by the full window would understate a young batch and overstate its ETA.
    """
    if started_at is None:
        return 0.0
    observed = min(window_s, (now - started_at).total_seconds())
    if observed <= 0:
        return 0.0
    return frames_in_window * HOUR_S / observed


def eta(now: datetime, remaining_frames: int, per_hour: float) -> datetime | None:
    """When the remaining frames will be accepted at the current rate; None if never."""
    if remaining_frames <= 0:
        return now
    if per_hour <= 0:
        return None
    return now + timedelta(seconds=remaining_frames * HOUR_S / per_hour)


@dataclass(frozen=True)
class RiskInput:
    """What decides whether a batch is at risk."""

    now: datetime
    deadline: datetime
    eta: datetime | None
    remaining_frames: int
    started_at: datetime | None
    was_at_risk: bool


def at_risk(x: RiskInput, policy: SlaPolicy = SlaPolicy()) -> bool:
    """Whether the batch will miss its deadline at the current pace.

    Done batches are never at risk; overdue ones always are. Without an ETA (nothing
    accepted lately) a batch is at risk once it has been at work for ``stall_after_s``.
    An at-risk batch stays so until its ETA is ``hysteresis_s`` before the deadline.
    """
    if x.remaining_frames <= 0:
        return False
    if x.now >= x.deadline:
        return True
    if x.eta is None:
        worked = (x.now - x.started_at).total_seconds() if x.started_at else 0.0
        return worked >= policy.stall_after_s
    margin = timedelta(seconds=policy.hysteresis_s if x.was_at_risk else 0.0)
    return x.eta > x.deadline - margin


def seconds_to(now: datetime, when: datetime | None) -> float:
    """Seconds from now until when (negative when past); infinity when never."""
    return float("inf") if when is None else (when - now).total_seconds()
