"""Frame conversions every exporter shares: ego (ISO 8855) <-> camera, box corners, projection.

Ego frame: x forward, y left, z up (metres). Camera frame (``Calibration``): x right, y down,
z forward (OpenCV / KITTI). ``Calibration.camera_to_ego`` is a rigid 4x4 (row-major); its
inverse is computed in closed form (R^T, -R^T t). Boxes are upright: yaw about ego +z only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from roadlabel.labels import Box3D, Calibration, wrap_yaw

Vec3 = tuple[float, float, float]
Mat3 = tuple[Vec3, Vec3, Vec3]


def rotation(cal: Calibration) -> Mat3:
    """The 3x3 rotation of camera_to_ego (camera axes expressed in ego)."""
    m = cal.camera_to_ego
    return ((m[0], m[1], m[2]), (m[4], m[5], m[6]), (m[8], m[9], m[10]))


def translation(cal: Calibration) -> Vec3:
    """The camera's position in ego."""
    m = cal.camera_to_ego
    return (m[3], m[7], m[11])


def camera_to_ego(cal: Calibration, p: Sequence[float]) -> Vec3:
    """A camera-frame point in ego."""
    r, t = rotation(cal), translation(cal)
    return tuple(sum(r[i][j] * p[j] for j in range(3)) + t[i] for i in range(3))  # type: ignore[return-value]


def ego_to_camera(cal: Calibration, p: Sequence[float]) -> Vec3:
    """An ego-frame point in the camera frame."""
    r, t = rotation(cal), translation(cal)
    d = [p[i] - t[i] for i in range(3)]
    return tuple(sum(r[j][i] * d[j] for j in range(3)) for i in range(3))  # type: ignore[return-value]


def ego_to_camera_matrix(cal: Calibration) -> list[float]:
    """The inverse of camera_to_ego, row-major 4x4."""
    r, t = rotation(cal), translation(cal)
    rt = [[r[j][i] for j in range(3)] for i in range(3)]
    tt = [-sum(rt[i][j] * t[j] for j in range(3)) for i in range(3)]
    return [*rt[0], tt[0], *rt[1], tt[1], *rt[2], tt[2], 0.0, 0.0, 0.0, 1.0]


def direction_to_camera(cal: Calibration, v: Sequence[float]) -> Vec3:
    """An ego direction (no translation) in the camera frame."""
    r = rotation(cal)
    return tuple(sum(r[j][i] * v[j] for j in range(3)) for i in range(3))  # type: ignore[return-value]


def direction_to_ego(cal: Calibration, v: Sequence[float]) -> Vec3:
    """A camera direction in ego."""
    r = rotation(cal)
    return tuple(sum(r[i][j] * v[j] for j in range(3)) for i in range(3))  # type: ignore[return-value]


def project(cal: Calibration, p_cam: Sequence[float]) -> tuple[float, float] | None:
    """Pinhole projection of a camera-frame point; None behind the camera."""
    if p_cam[2] <= 1e-6:
        return None
    return (cal.fx * p_cam[0] / p_cam[2] + cal.cx, cal.fy * p_cam[1] / p_cam[2] + cal.cy)


def unproject(cal: Calibration, u: float, v: float, depth: float) -> Vec3:
    """The camera-frame point at pixel (u, v) and depth z."""
    return ((u - cal.cx) * depth / cal.fx, (v - cal.cy) * depth / cal.fy, depth)


def box_corners(b: Box3D) -> list[Vec3]:
    """The 8 corners of a box in ego."""
    c, s = math.cos(b.yaw), math.sin(b.yaw)
    out = []
    for dx in (-0.5, 0.5):
        for dy in (-0.5, 0.5):
            for dz in (-0.5, 0.5):
                lx, ly = dx * b.length, dy * b.width
                out.append((b.x + c * lx - s * ly, b.y + s * lx + c * ly, b.z + dz * b.height))
    return out


def box_2d(cal: Calibration, b: Box3D) -> tuple[float, float, float, float] | None:
    """Image rectangle (x1, y1, x2, y2) around the projected corners, clipped to the image.

    None when any corner is behind the camera or the rectangle is outside the image; a box
    straddling the camera plane has no faithful rectangle without clipping in 3D.
    """
    pts = [project(cal, ego_to_camera(cal, p)) for p in box_corners(b)]
    if any(p is None for p in pts):
        return None
    us = [p[0] for p in pts if p is not None]
    vs = [p[1] for p in pts if p is not None]
    x1, y1 = max(0.0, min(us)), max(0.0, min(vs))
    x2, y2 = min(float(cal.width), max(us)), min(float(cal.height), max(vs))
    if x2 <= x1 or y2 <= y1:
        return None
    return (x1, y1, x2, y2)


def yaw_to_camera_ry(cal: Calibration, yaw: float) -> float:
    """KITTI rotation_y (about camera +y, 0 = facing camera +x) of an ego yaw."""
    h = direction_to_camera(cal, (math.cos(yaw), math.sin(yaw), 0.0))
    return wrap_yaw(math.atan2(-h[2], h[0]))


def camera_ry_to_yaw(cal: Calibration, ry: float) -> float:
    """Ego yaw of a KITTI rotation_y."""
    h = direction_to_ego(cal, (math.cos(ry), 0.0, -math.sin(ry)))
    return wrap_yaw(math.atan2(h[1], h[0]))


def yaw_quaternion(yaw: float) -> tuple[float, float, float, float]:
    """(w, x, y, z) of a rotation by ``yaw`` about +z."""
    return (math.cos(yaw / 2.0), 0.0, 0.0, math.sin(yaw / 2.0))


def quaternion_yaw(q: Sequence[float]) -> float:
    """Yaw about +z of a (w, x, y, z) quaternion (its heading projected on the xy plane)."""
    w, x, y, z = q
    return wrap_yaw(math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z)))
