"""Lane checks: sideways jumps, ID switches, kinks and crossings."""

from __future__ import annotations

import math

from qa import DEFAULT_PROFILE, Finding, check_document
from roadlabel.labels import Lane
from tests.unit.qa.qa_builders import checks_of, document, lane, lane_pts, static_ego

P = DEFAULT_PROFILE


def run(lanes: list[list[Lane]], ego: bool = True) -> list[Finding]:
    doc = document([], lanes=lanes)
    return check_document(doc, P, static_ego(doc) if ego else None)


def test_steady_lanes_are_clean() -> None:
    frames = [[lane("l1", 1.75), lane("l2", -1.75), lane("l3", 5.25)] for _ in range(6)]
    assert run(frames) == []


def test_lateral_jump_boundary() -> None:
    limit = P.lane_lateral_jump_m
    for shift, expected in ((limit - 0.01, set()), (limit + 0.01, {"lane_jump"})):
        frames = [[lane("l1", 0.0)]] * 3 + [[lane("l1", shift)]] * 3
        found = run(frames)
        assert checks_of(found) == expected, shift
    (f,) = run([[lane("l1", 0.0)], [lane("l1", 0.8)]])
    assert f.frames == (0, 1) and f.value == __import__("pytest").approx(0.8)


def test_jump_allowance_without_ego_poses_scales_with_time() -> None:
    # 0.7 m in 0.1 s: within 0.5 m + 3 m/s x 0.1 s when the ego may have moved sideways.
    frames = [[lane("l1", 0.0)], [lane("l1", 0.7)]]
    assert run(frames, ego=False) == []
    assert checks_of(run(frames, ego=True)) == {"lane_jump"}


def test_lanes_compare_over_their_overlap_only() -> None:
    # The ego drove 10 m: the same marking now starts and ends 10 m further on.
    frames = [[lane("l1", 0.0, xs=(0, 10, 20, 30))], [lane("l1", 0.0, xs=(10, 20, 30, 40))]]
    assert run(frames) == []


def test_renamed_lane_is_an_id_switch() -> None:
    frames = [[lane("l1", 0.0), lane("l2", 3.5)]] * 3 + [[lane("lx", 0.0), lane("l2", 3.5)]] * 3
    found = run(frames)
    assert [(f.check, f.frames, f.track_ids) for f in found] == [
        ("lane_id_switch", (2, 3), ("l1", "lx"))
    ]


def test_swapped_lane_ids_are_one_switch_not_two_jumps() -> None:
    frames = [[lane("l1", 0.0), lane("l2", 3.5)]] * 2 + [[lane("l2", 0.0), lane("l1", 3.5)]] * 2
    found = run(frames)
    assert [(f.check, set(f.track_ids)) for f in found] == [("lane_id_switch", {"l1", "l2"})]


def test_new_lane_appearing_elsewhere_is_not_a_switch() -> None:
    frames = [[lane("l1", 0.0)]] * 2 + [[lane("l1", 0.0), lane("l2", 3.5)]] * 2
    assert run(frames) == []


def _kinked(deg: float) -> list[list[Lane]]:
    # Vertex at x = 10 moved sideways: the polyline turns by 2 * atan(dy / 10) there.
    dy = 10.0 * math.tan(math.radians(deg) / 2)
    return [[lane_pts("l1", [(0, 0), (10, dy), (20, 0)])]]


def test_smoothness_boundary_on_turn_angle() -> None:
    limit = P.lane_max_turn_deg
    assert run(_kinked(limit - 0.5)) == []
    found = run(_kinked(limit + 0.5))
    assert checks_of(found) == {"lane_smoothness"}
    assert math.degrees(found[0].value) == __import__("pytest").approx(limit + 0.5)


def test_short_segments_do_not_count_as_kinks() -> None:
    jitter = [[lane_pts("l1", [(0, 0), (10, 0), (10.2, 0.1), (20, 0.1)])]]
    assert run(jitter) == []


def test_crossing_lanes_are_found_but_merges_are_not() -> None:
    cross = [[lane_pts("a", [(0, -2), (40, 2)]), lane_pts("b", [(0, 2), (40, -2)])]]
    found = run(cross)
    assert [(f.check, f.track_ids) for f in found] == [("lane_crossing", ("a", "b"))]
    # Meeting within the end margin is a merge.
    merge = [[lane_pts("a", [(0, -2), (40, 0)]), lane_pts("b", [(0, 2), (40, 0)])]]
    assert run(merge) == []
    parallel = [[lane("a", 0.0), lane("b", 3.5)]]
    assert run(parallel) == []


def test_rename_boundary_on_distance() -> None:
    # A new ID within the jump limit of a vanished lane continues it; farther, it is new.
    limit = P.lane_lateral_jump_m
    for offset, expected in ((limit - 0.05, {"lane_id_switch"}), (limit + 0.05, set())):
        frames = [[lane("l1", 0.0)]] * 2 + [[lane("lx", offset)]] * 2
        assert checks_of(run(frames)) == expected, offset
