"""Cost maths: roll-ups add up to the ledger, projections, the QA-rate trade-off."""

from __future__ import annotations

import pytest

from scheduler.cost import (
    LedgerEntry,
    StageWork,
    TaskSpan,
    cost_per_frame,
    frames_to_go,
    over_target,
    projected_cost_per_frame,
    qa_tradeoff,
    rollup,
)

TASKS = [TaskSpan("t1", "s1", 0, 4), TaskSpan("t2", "s1", 3, 7), TaskSpan("t3", "s2", 0, 2)]
ENTRIES = [
    LedgerEntry("annotate", 4.0, 60, "s1", "t1", "ann-1"),
    LedgerEntry("annotate", 2.0, 30, "s1", "t2", "ann-2"),
    LedgerEntry("review", 1.0, 15, "s1", "t1", "rev-1"),
    LedgerEntry("ingest_cpu", 1.6, 100, "s1"),
    LedgerEntry("prelabel_gpu", 0.8, 10, "s2", "t3"),
    LedgerEntry("storage", 0.9),
]


def test_rollup_sums_by_each_axis() -> None:
    r = rollup(ENTRIES, TASKS, {"s1": 8, "s2": 2})
    assert r.total == pytest.approx(10.3)
    assert r.by_kind == pytest.approx({"annotate": 6.0, "review": 1.0, "ingest_cpu": 1.6,
                                       "prelabel_gpu": 0.8, "storage": 0.9})
    assert r.by_task == pytest.approx({"t1": 5.0, "t2": 2.0, "t3": 0.8})
    assert r.by_user == pytest.approx({"ann-1": 4.0, "ann-2": 2.0, "rev-1": 1.0})
    assert r.by_sequence == pytest.approx({"s1": 8.6, "s2": 0.8})


def test_rollup_spreads_costs_over_frames_and_adds_up_to_the_total() -> None:
    r = rollup(ENTRIES, TASKS, {"s1": 8, "s2": 2})
    # Frame s1/3 is in t1 (5.0 over 4 frames) and t2 (2.0 over 4), gets s1's ingest
    # (1.6 over 8 frames) and the batch's storage (0.9 over the 9 distinct task frames).
    assert r.by_frame[("s1", 3)] == pytest.approx(1.25 + 0.5 + 0.2 + 0.1)
    # s1/7 is in no task: only ingest reaches it.
    assert r.by_frame[("s1", 7)] == pytest.approx(0.2)
    assert r.by_frame[("s2", 1)] == pytest.approx(0.4 + 0.1)
    assert sum(r.by_frame.values()) + r.unplaced == pytest.approx(r.total)
    assert r.unplaced == 0.0


def test_cost_of_an_unknown_task_is_unplaced_but_still_counted() -> None:
    r = rollup([LedgerEntry("annotate", 3.0, task_id="gone")], TASKS, {})
    assert r.unplaced == 3.0 and r.total == 3.0 and r.by_frame == {}


def test_frames_to_go_per_stage() -> None:
    to_go = frames_to_go({"annotate": 100, "review": 40, "qa": 10, "accepted": 50}, 0.1)
    assert to_go == pytest.approx({"annotate": 100.0, "review": 140.0, "qa": 24.0})


def test_projection_adds_remaining_work_at_observed_unit_costs() -> None:
    # Spent 30 on 200 frames; annotate costs 0.20/frame (20 over 100 submitted frames),
    # review 0.05/frame (2 over 40), QA not seen yet.
    stages = {"annotate": StageWork(20.0, 100, 100.0), "review": StageWork(2.0, 40, 140.0),
              "qa": StageWork(0.0, 0, 24.0)}
    projected = projected_cost_per_frame(30.0, stages, 200)
    assert projected == pytest.approx((30 + 100 * 0.20 + 140 * 0.05) / 200)  # 0.285
    assert not over_target(projected, 0.5)
    assert over_target(projected, 0.25)


def test_cost_per_frame_of_no_frames_is_zero() -> None:
    assert cost_per_frame(5.0, 0) == 0.0
    assert cost_per_frame(5.0, 10) == 0.5


def test_qa_tradeoff_costs_more_and_leaks_fewer_errors_as_the_rate_rises() -> None:
    points = qa_tradeoff([0.0, 0.1, 0.5], base_cost_per_frame=0.3, qa_cost_per_frame=0.2,
                         error_rate=0.1, frames=1000)
    assert [p.cost_per_frame for p in points] == pytest.approx([0.30, 0.32, 0.40])
    assert [p.residual_error_rate for p in points] == pytest.approx([0.10, 0.09, 0.05])
    # 100 sampled frames at p=0.1: 1.96 * sqrt(0.09 / 100) = 0.0588.
    assert points[1].error_margin == pytest.approx(0.0588)
    assert points[0].error_margin == 1.0
