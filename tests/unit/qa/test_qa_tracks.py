"""Track-identity checks: duplicates, gaps, coverage, ID switches, ID reuse, size changes."""

from __future__ import annotations

from typing import Any

import numpy as np

from qa import DEFAULT_PROFILE, Finding, check_document, has_blocking
from roadlabel.labels import Box3D
from tests.unit.qa.qa_builders import (
    Frames,
    box,
    checks_of,
    document,
    frames_of,
    only,
    static_ego,
    track,
)


def run(frames: Frames, **kw: Any) -> list[Finding]:
    doc = document(frames, **kw)
    return check_document(doc, DEFAULT_PROFILE, static_ego(doc))


def cruising(
    tid: str, n: int = 10, y: float = 0.0, v: float = 10.0, cat: str = "car"
) -> list[Box3D]:
    return track(tid, [v * 0.1 * i for i in range(n)], y, cat=cat)


def test_clean_parallel_tracks_have_no_findings() -> None:
    found = run(frames_of(cruising("car-1"), cruising("car-2", y=3.5)))
    assert found == []
    assert not has_blocking(found)


def test_duplicate_track_id_in_one_frame_blocks() -> None:
    frames = frames_of(cruising("car-1", n=3))
    frames[1].append(box("car-1", 0.0, 20.0))
    found = only(run(frames), "duplicate_track_id")
    assert [(f.frames, f.track_ids) for f in found] == [((1,), ("car-1",))]
    assert has_blocking(found)


def test_missing_frames_up_to_max_gap_are_coverage_beyond_are_gaps() -> None:
    limit = DEFAULT_PROFILE.max_gap_frames
    for missing, expected in ((limit, "coverage"), (limit + 1, "track_gap")):
        boxes: list[Box3D | None] = list(cruising("car-1", n=12))
        for i in range(3, 3 + missing):
            boxes[i] = None
        found = run(frames_of(boxes, cruising("car-2", n=12, y=3.5)))
        assert checks_of(found) == {expected}, (missing, found)
        assert found[0].value == missing
    gap = run(frames_of([*cruising("car-1", n=3), None, None, None, *cruising("car-1", n=3)]))
    assert only(gap, "track_gap")[0].frames == (2, 6)


def test_coverage_lists_the_frames_without_a_box() -> None:
    boxes: list[Box3D | None] = list(cruising("car-1", n=8))
    boxes[4] = None
    found = run(frames_of(boxes, cruising("car-2", n=8, y=3.5)))
    assert [(f.check, f.frames) for f in found] == [("coverage", (4,))]
    assert "frame 4" in found[0].message


def _swap_at(a: list[Box3D], b: list[Box3D], k: int) -> tuple[list[Box3D], list[Box3D]]:
    a2 = a[:k] + [box("a", bx.x, bx.y, cat=bx.category) for bx in b[k:]]
    b2 = b[:k] + [box("b", ax.x, ax.y, cat=ax.category) for ax in a[k:]]
    return a2, b2


def test_id_switch_between_tracks_is_found_once_and_explains_the_jumps() -> None:
    a, b = cruising("a"), cruising("b", y=3.5)
    a, b = _swap_at(a, b, 5)
    found = run(frames_of(a, b))
    assert [(f.check, f.frames, f.track_ids) for f in found] == [("id_switch", (4, 5), ("a", "b"))]


def test_id_switch_boundary_on_distance_between_objects() -> None:
    # Parked pedestrians: the residual of a swap is exactly the distance between them.
    # Below the limit the jump is still implausible motion (acceleration), not an ID switch.
    for gap, expected in ((0.9, False), (1.1, True)):
        a = track("a", [0.0] * 8, 0.0, cat="pedestrian")
        b = track("b", [0.0] * 8, gap, cat="pedestrian")
        a, b = _swap_at(a, b, 4)
        assert ("id_switch" in checks_of(run(frames_of(a, b)))) is expected, gap


def test_category_change_is_id_reuse() -> None:
    boxes = cruising("car-1", n=6)
    boxes[3:] = [box("car-1", b.x, cat="truck", size=(4.5, 1.9, 1.6)) for b in boxes[3:]]
    found = run(frames_of(boxes))
    assert [(f.check, f.frames) for f in found] == [("id_reuse", (2, 3))]
    assert "car in frame 2 but a truck in frame 3" in found[0].message


def test_teleport_boundary_is_twice_the_class_speed_limit() -> None:
    # Car limit 70 m/s; a 0.1 s step longer than 2 x 70 x 0.1 = 14 m is a different object.
    for jump, expected in ((13.9, {"speed"}), (14.1, {"id_reuse"})):
        xs = [0.0, 0.0, 0.0, jump, jump, jump]
        found = run(frames_of(track("car-1", xs)))
        assert checks_of(found) - {"acceleration"} == expected, (jump, found)


def test_size_change_boundary_and_message() -> None:
    tol = DEFAULT_PROFILE.limits_for("car").size_tolerance
    for new_len, flagged in ((4.5 * (1 + tol) - 0.01, False), (4.5 * (1 + tol) + 0.01, True)):
        boxes = cruising("car-3", n=6)
        boxes[3:] = [box("car-3", b.x, size=(new_len, 1.9, 1.6)) for b in boxes[3:]]
        found = only(run(frames_of(boxes)), "size_change")
        assert bool(found) is flagged, new_len
    boxes = cruising("car-3", n=4)
    boxes[2:] = [box("car-3", b.x, size=(5.6, 1.9, 1.6)) for b in boxes[2:]]
    (f,) = run(frames_of(boxes))
    assert f.message == (
        "Track car-3 changes length from 4.5 m to 5.6 m (24% > 10% allowed) between frames "
        "1 and 2."
    )


def test_slow_size_drift_is_found_over_the_track() -> None:
    lengths = np.linspace(4.5, 5.2, 12)  # each step ~1.4 %, overall ~16 %
    boxes = [box("car-1", 1.0 * i, size=(float(L), 1.9, 1.6)) for i, L in enumerate(lengths)]
    found = only(run(frames_of(boxes)), "size_change")
    assert len(found) == 1 and "drifts" in found[0].message
    assert found[0].frames == (0, 11)


def test_pedestrian_size_may_change_more_than_a_car() -> None:
    peds = [box("p", 0.1 * i, cat="pedestrian", size=(0.6 + 0.1 * (i % 2), 0.6, 1.75))
            for i in range(6)]
    assert only(run(frames_of(peds)), "size_change") == []


def test_degenerate_documents_do_not_fail() -> None:
    assert check_document(document([])) == []
    assert check_document(document([[]])) == []
    assert check_document(document([[box("a")]])) == []


def test_timestamps_that_do_not_increase_are_reported_not_divided_by() -> None:
    found = run(frames_of(track("car-1", [0.0, 5.0, 5.5])), dt=[0.0, 0.1])
    assert [(f.check, f.frames) for f in found] == [("timestamp_order", (0, 1))]
