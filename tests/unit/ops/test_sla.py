"""SLA maths: throughput, ETA and at-risk decisions, against hand-computed figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler.sla import RiskInput, SlaPolicy, at_risk, eta, frames_per_hour, seconds_to

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_throughput_of_a_young_batch_divides_by_its_age_not_the_window() -> None:
    # 100 frames in the 10 minutes since work began: 600 per hour, not 100.
    assert frames_per_hour(100, 3600, T0, T0 + timedelta(minutes=10)) == 600.0


def test_throughput_of_an_old_batch_divides_by_the_window() -> None:
    # 500 frames in the last hour of a batch at work for 5 hours.
    assert frames_per_hour(500, 3600, T0, T0 + timedelta(hours=5)) == 500.0
    assert frames_per_hour(60, 1800, T0, T0 + timedelta(hours=5)) == 120.0


def test_no_throughput_before_work_starts() -> None:
    assert frames_per_hour(0, 3600, None, T0) == 0.0
    assert frames_per_hour(5, 3600, T0, T0) == 0.0


def test_eta_is_remaining_over_rate() -> None:
    # 300 frames left at 600 frames/hour: half an hour.
    assert eta(T0, 300, 600.0) == T0 + timedelta(minutes=30)
    assert eta(T0, 0, 0.0) == T0
    assert eta(T0, 10, 0.0) is None


def test_seconds_to() -> None:
    assert seconds_to(T0, T0 + timedelta(seconds=90)) == 90.0
    assert seconds_to(T0, None) == float("inf")


def _risk(eta_min: float | None, deadline_min: float = 60, remaining: int = 10,
          was: bool = False, worked_min: float = 30) -> RiskInput:
    return RiskInput(now=T0, deadline=T0 + timedelta(minutes=deadline_min),
                     eta=None if eta_min is None else T0 + timedelta(minutes=eta_min),
                     remaining_frames=remaining, started_at=T0 - timedelta(minutes=worked_min),
                     was_at_risk=was)


def test_eta_past_deadline_is_at_risk_and_before_it_is_not() -> None:
    assert at_risk(_risk(eta_min=61)) is True
    assert at_risk(_risk(eta_min=59)) is False


def test_hysteresis_keeps_a_batch_at_risk_until_clearly_back_on_track() -> None:
    policy = SlaPolicy(hysteresis_s=300)
    # ETA 3 minutes before the deadline: inside the 5-minute margin, still at risk.
    assert at_risk(_risk(eta_min=57, was=True), policy) is True
    assert at_risk(_risk(eta_min=54, was=True), policy) is False
    # A batch not at risk uses no margin.
    assert at_risk(_risk(eta_min=57, was=False), policy) is False


def test_done_batches_are_never_at_risk_and_overdue_ones_always_are() -> None:
    assert at_risk(_risk(eta_min=120, remaining=0)) is False
    assert at_risk(_risk(eta_min=None, deadline_min=-1)) is True


def test_a_stalled_batch_is_at_risk_only_after_the_stall_time() -> None:
    policy = SlaPolicy(stall_after_s=900)
    assert at_risk(_risk(eta_min=None, worked_min=10), policy) is False
    assert at_risk(_risk(eta_min=None, worked_min=16), policy) is True
    never_started = RiskInput(T0, T0 + timedelta(hours=1), None, 10, None, False)
    assert at_risk(never_started, policy) is False
