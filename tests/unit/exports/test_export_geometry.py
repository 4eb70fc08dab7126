"""Frame conventions: ego (ISO 8855) <-> camera (KITTI/OpenCV) with the default calibration."""

from __future__ import annotations

import math

import pytest

from roadlabel.exports import geometry as g
from roadlabel.labels import Box3D
from tests.unit.exports.export_samples import CAL


def test_ego_forward_is_camera_depth_and_left_is_camera_minus_x() -> None:
    assert g.ego_to_camera(CAL, (10.0, 0.0, 1.5)) == pytest.approx((0.0, 0.0, 10.0))
    assert g.ego_to_camera(CAL, (10.0, 2.0, 0.0)) == pytest.approx((-2.0, 1.5, 10.0))
    assert g.camera_to_ego(CAL, (-2.0, 1.5, 10.0)) == pytest.approx((10.0, 2.0, 0.0))


def test_point_ahead_at_camera_height_projects_to_the_principal_point() -> None:
    assert g.project(CAL, g.ego_to_camera(CAL, (20.0, 0.0, 1.5))) == pytest.approx(
        (CAL.cx, CAL.cy))
    assert g.project(CAL, g.ego_to_camera(CAL, (-5.0, 0.0, 1.5))) is None


def test_kitti_rotation_of_a_car_driving_away_is_minus_half_pi() -> None:
    assert g.yaw_to_camera_ry(CAL, 0.0) == pytest.approx(-math.pi / 2)
    assert g.yaw_to_camera_ry(CAL, math.pi / 2) == pytest.approx(math.pi)  # facing left
    for yaw in (-3.0, -1.0, 0.0, 0.4, 2.9):
        assert g.camera_ry_to_yaw(CAL, g.yaw_to_camera_ry(CAL, yaw)) == pytest.approx(yaw)


def test_quaternion_yaw_round_trip() -> None:
    for yaw in (-3.1, -0.5, 0.0, 1.2, math.pi):
        assert g.quaternion_yaw(g.yaw_quaternion(yaw)) == pytest.approx(yaw)


def test_box_rectangle_is_centred_for_a_centred_box_and_none_behind() -> None:
    rect = g.box_2d(CAL, Box3D("t", "car", 20.0, 0.0, 1.5, 4.0, 2.0, 1.0, 0.0))
    assert rect is not None
    assert (rect[0] + rect[2]) / 2 == pytest.approx(CAL.cx)
    assert (rect[1] + rect[3]) / 2 == pytest.approx(CAL.cy, abs=1.0)
    assert g.box_2d(CAL, Box3D("t", "car", -20.0, 0.0, 1.5, 4.0, 2.0, 1.0, 0.0)) is None
