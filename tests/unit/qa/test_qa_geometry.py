"""Vectorised geometry: rotated rectangle intersection, 3D IoU, polyline helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qa.geometry import bev_intersection, iou_3d, rectangles_touch
from qa.polylines import crossings, mean_distance, resample


def one(x: float, y: float, length: float, width: float, yaw: float) -> tuple[np.ndarray, ...]:
    return np.array([[x, y]]), np.array([[length, width]]), np.array([yaw])


def area(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> float:
    return float(bev_intersection(*a, *b)[0])


def test_square_and_its_45_degree_rotation_meet_in_a_regular_octagon() -> None:
    # Inradius 0.5 -> octagon area 8 r^2 tan(pi/8) = 2 (sqrt 2 - 1).
    got = area(one(0, 0, 1, 1, 0), one(0, 0, 1, 1, math.pi / 4))
    assert got == pytest.approx(2 * (math.sqrt(2) - 1))


def test_known_intersections() -> None:
    assert area(one(0, 0, 4, 2, 0), one(3, 0, 4, 2, 0)) == pytest.approx(2.0)
    assert area(one(0, 0, 4, 2, 0), one(10, 0, 4, 2, 0)) == 0.0
    assert area(one(0, 0, 4, 2, 0.3), one(0, 0, 1, 1, 1.0)) == pytest.approx(1.0)
    assert area(one(0, 0, 4, 2, 0), one(0, 0, 4, 2, math.pi)) == pytest.approx(8.0)


def _grid_area(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection area estimated by counting grid cells inside both rectangles."""
    step = 0.04
    xs = np.arange(-8 + step / 2, 8, step)  # cell centres: no point lies on an edge
    gx, gy = np.meshgrid(xs, xs)
    inside = np.ones_like(gx, dtype=bool)
    for x, y, length, width, yaw in (a, b):
        dx, dy = gx - x, gy - y
        u = dx * math.cos(yaw) + dy * math.sin(yaw)
        v = -dx * math.sin(yaw) + dy * math.cos(yaw)
        inside &= (np.abs(u) <= length / 2) & (np.abs(v) <= width / 2)
    return float(inside.sum()) * step * step


box_st = st.tuples(
    st.floats(-2, 2), st.floats(-2, 2), st.floats(0.5, 5), st.floats(0.5, 3),
    st.floats(-math.pi, math.pi),
)


@settings(max_examples=40, deadline=None)
@given(box_st, box_st)
@example((0.0, 0.0, 2.0, 1.0, 0.0), (0.0, 1e-9, 2.0, 1.0, 0.0))
def test_intersection_matches_a_grid_estimate_and_the_separating_axis_test(
    a: tuple[float, ...], b: tuple[float, ...]
) -> None:
    exact = area(one(*a), one(*b))
    # The grid misjudges at most a strip of one cell along the edges.
    strip = 0.04 * (a[2] + a[3] + b[2] + b[3])
    assert exact == pytest.approx(_grid_area(a, b), abs=strip)
    assert exact == pytest.approx(area(one(*b), one(*a)), abs=1e-9)
    # Points within 1e-9 m of an edge count as inside (geometry._EPS): the area may exceed the
    # smaller box by that band along its perimeter.
    band = 1e-9 * 2 * (a[2] + a[3] + b[2] + b[3])
    assert exact <= min(a[2] * a[3], b[2] * b[3]) + band + 1e-12
    if exact > 1e-6:
        assert rectangles_touch(*one(*a), *one(*b))[0]


def test_iou_3d_uses_height_overlap() -> None:
    xyz, lwh, yaw = np.array([[0.0, 0, 1]]), np.array([[2.0, 2, 2]]), np.zeros(1)
    half_up = np.array([[0.0, 0, 2]])
    # Intersection 2 x 2 x 1 = 4; union 8 + 8 - 4 = 12.
    assert iou_3d(xyz, lwh, yaw, half_up, lwh, yaw)[0] == pytest.approx(1 / 3)


def test_resample_spaces_points_evenly_by_arc_length() -> None:
    verts = np.array([[[0.0, 0], [1, 0], [10, 0]], [[0, 0], [3, 4], [np.nan, np.nan]]])
    pts, length = resample(verts, np.array([3, 2]), k=5)
    assert length.tolist() == [10.0, 5.0]
    assert pts[0, :, 0] == pytest.approx([0, 2.5, 5, 7.5, 10])
    assert pts[1, -1] == pytest.approx([3, 4])
    bad, _ = resample(np.zeros((1, 2, 2)), np.array([2]), k=5)
    assert np.isnan(bad).all()


def test_mean_distance_over_overlap_only() -> None:
    line = np.array([[[0.0, 0], [10, 0], [20, 0]]])
    shifted = np.array([[[5.0, 0.3], [15, 0.3], [30, 0.3]]])  # 30 lies past the line's end
    assert mean_distance(shifted, line)[0] == pytest.approx(0.3)
    apart = np.array([[[40.0, 0], [50, 0], [60, 0]]])
    assert np.isnan(mean_distance(apart, line)[0])


def test_crossings_respect_the_end_margin() -> None:
    a = np.array([[[0.0, -2], [20, 2]]])
    b = np.array([[[0.0, 2], [20, -2]]])
    la = np.array([math.hypot(20, 4)])
    hit, where = crossings(a, la, b, la, margin=2.0)
    assert hit[0] and where[0] == pytest.approx([10, 0])
    assert not crossings(a, la, b, la, margin=11.0)[0][0]
