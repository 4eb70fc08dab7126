"""Physical-plausibility checks: speed, acceleration, yaw rate, flips, ground, overlap."""

from __future__ import annotations

import math

import numpy as np

from qa import DEFAULT_PROFILE, Finding, check_document
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

CAR = DEFAULT_PROFILE.limits_for("car")
PED = DEFAULT_PROFILE.limits_for("pedestrian")


def run(frames: Frames, dt: float | list[float] = 0.1) -> list[Finding]:
    doc = document(frames, dt=dt)
    return check_document(doc, DEFAULT_PROFILE, static_ego(doc))


def test_speed_boundary_for_a_pedestrian() -> None:
    for v, expected in ((PED.max_speed_mps - 0.1, set()), (PED.max_speed_mps + 0.1, {"speed"})):
        peds = track("p", [v * 0.1 * i for i in range(8)], cat="pedestrian")
        assert checks_of(run(frames_of(peds))) == expected, v


def test_speed_uses_timestamps_not_an_assumed_frame_rate() -> None:
    # 1 m steps: 10 m/s at 0.1 s (over a 9 m/s limit would be flagged), legal at 0.2 s.
    dts = [0.2, 0.2, 0.2, 0.2, 0.2]
    peds = track("p", [float(i) for i in range(6)], cat="pedestrian")
    assert run(frames_of(peds), dt=dts) == []
    fast = track("p", [2.2 * i for i in range(6)], cat="pedestrian")  # 11 m/s
    assert checks_of(run(frames_of(fast), dt=dts)) == {"speed"}


def test_speed_limits_widen_without_ego_poses() -> None:
    # 20 m/s relative to the ego is a pedestrian the ego drives past, not a sprinter.
    peds = track("p", [2.0 * i for i in range(6)], cat="pedestrian")
    doc = document(frames_of(peds))
    assert check_document(doc) == []
    assert checks_of(check_document(doc, DEFAULT_PROFILE, static_ego(doc))) == {"speed"}


def _accelerating(a: float, n: int = 12) -> list[Box3D]:
    return track("car-1", [0.5 * a * (0.1 * i) ** 2 for i in range(n)])


def test_acceleration_boundary() -> None:
    # Central differences are exact for constant acceleration.
    assert run(frames_of(_accelerating(CAR.max_accel_mps2 - 0.1))) == []
    found = run(frames_of(_accelerating(CAR.max_accel_mps2 + 0.1)))
    assert checks_of(found) == {"acceleration"}
    assert found[0].value == __import__("pytest").approx(CAR.max_accel_mps2 + 0.1, rel=1e-6)


def test_single_frame_misplacement_is_an_acceleration_spike() -> None:
    xs = [1.0 * i for i in range(10)]
    xs[5] += 0.8
    found = run(frames_of(track("car-1", xs)))
    assert len(found) == 1 and found[0].check == "acceleration"
    assert "around frame 5" in found[0].message


def test_yaw_rate_boundary() -> None:
    # Allowed per 0.1 s step: max yaw rate x dt plus the per-step heading jitter allowance.
    per_step = CAR.max_yaw_rate_rps * 0.1 + DEFAULT_PROFILE.yaw_jitter_rad
    for w, expected in ((per_step - 0.002, set()), (per_step + 0.002, {"yaw_rate"})):
        boxes = track("car-1", [0.5 * i for i in range(8)], yaws=[w * i for i in range(8)])
        assert checks_of(run(frames_of(boxes))) == expected, w


def test_heading_jitter_within_the_allowance_is_not_turning() -> None:
    yaws = [0.0, 0.04, 0.0, 0.04, 0.0, 0.04]  # 0.4 rad/s back and forth on a parked car
    assert run(frames_of(track("car-1", [0.0] * 6, yaws=yaws))) == []


def test_yaw_flip_boundary_and_wraparound() -> None:
    flip = DEFAULT_PROFILE.yaw_flip_min_rad
    cases = ((flip - 0.01, "yaw_rate"), (flip + 0.01, "yaw_flip"), (math.pi, "yaw_flip"))
    for turn, expected in cases:
        yaws = [3.0] * 3 + [3.0 + turn] * 3  # crosses +pi: wrapping must not hide or fake a flip
        found = run(frames_of(track("car-1", [0.0] * 6, yaws=yaws)))
        assert checks_of(found) == {expected}, turn
    steady = track("car-1", [0.0] * 6, yaws=[math.pi - 0.01, -math.pi + 0.01] * 3)
    assert run(frames_of(steady)) == []


def test_ground_band_boundaries() -> None:
    p = DEFAULT_PROFILE
    h = 1.6
    cases: tuple[tuple[float, set[str]], ...] = (
        (p.ground_z_min_m + 0.01, set()), (p.ground_z_min_m - 0.01, {"below_ground"}),
        (p.ground_z_max_m - 0.01, set()), (p.ground_z_max_m + 0.01, {"floating"}),
    )
    for bottom, expected in cases:
        found = run([[box("car-1", 0.0, z=bottom + h / 2)]])
        assert checks_of(found) == expected, bottom


def test_ground_band_widens_with_range() -> None:
    far = [[box("car-1", 50.0, z=1.0 + 0.8)]]  # 1 m above at 50 m: road grade, not floating
    assert run(far) == []
    near = [[box("car-1", 5.0, z=1.0 + 0.8)]]
    assert checks_of(run(near)) == {"floating"}


def _pair(offset: float, yaw: float = 0.0) -> Frames:
    return [[box("car-1", 0.0), box("car-2", offset, yaw=yaw)]]


def test_overlap_boundary_on_3d_iou() -> None:
    # Aligned equal boxes offset d along x: IoU = (l - d) / (l + d); 0.10 at d = 3.68 m.
    for d, expected in ((3.60, {"overlap"}), (3.75, set())):
        found = run(_pair(d))
        assert checks_of(found) == expected, d
    (f,) = run(_pair(3.60))
    assert f.value == __import__("pytest").approx(0.9 / 8.1)
    assert f.track_ids == ("car-1", "car-2")


def test_overlap_needs_vertical_overlap_too() -> None:
    stacked = [[box("car-1", 0.0), box("car-2", 0.0, z=0.8 + 1.6 + 0.01)]]
    assert only(run(stacked), "overlap") == []


def test_overlap_of_rotated_boxes() -> None:
    crossing = run(_pair(0.0, yaw=math.pi / 2))
    assert checks_of(crossing) == {"overlap"}
    # A car beside another, both rotated 30 degrees, 2 m apart sideways: no overlap.
    c, s = math.cos(math.pi / 6), math.sin(math.pi / 6)
    side = [[box("car-1", 0.0, yaw=math.pi / 6), box("car-2", -2.0 * s, 2.0 * c, yaw=math.pi / 6)]]
    assert run(side) == []


def test_dense_scene_is_clean_and_consistent() -> None:
    rng = np.random.default_rng(0)
    frames: Frames = []
    for i in range(20):
        frames.append([box(f"car-{k}", 8.0 * k + 1.0 * i + rng.normal(0, 0.01), 3.5 * (k % 3))
                       for k in range(30)])
    assert run(frames) == []


def test_a_lasting_problem_is_one_finding_over_its_frames() -> None:
    frames = [[box("car-1", 1.0 * i, z=0.8 + (1.0 if 2 <= i <= 5 else 0.0))] for i in range(8)]
    (f,) = run(frames)
    assert (f.check, f.frames) == ("floating", (2, 3, 4, 5))
    assert "continues over frames 2-5" in f.message


def test_stacked_boxes_give_one_overlap_finding_per_pair() -> None:
    frames = [[box(f"car-{k}", 0.01 * k) for k in range(6)] for _ in range(5)]
    found = run(frames)
    assert len(found) == 15 and checks_of(found) == {"overlap"}
    assert all(f.frames == (0, 1, 2, 3, 4) for f in found)
