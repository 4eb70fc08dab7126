"""Pinhole camera geometry over `roadlabel.labels.Calibration`, in numpy.

Camera frame: x right, y down, z forward (OpenCV). Ego frame: ISO 8855, x forward, y left,
z up, ground at z = 0. Both the synthetic renderer and the pre-label decoder use these, so a
model's outputs and the generator's ground truth mean the same thing.
"""

from __future__ import annotations

import numpy as np

from roadlabel.labels import Calibration

NEAR_M = 0.1  # points closer than this in front of the camera are not projected


def intrinsic_matrix(cal: Calibration) -> np.ndarray:
    """The 3x3 pinhole matrix K."""
    return np.array([[cal.fx, 0.0, cal.cx], [0.0, cal.fy, cal.cy], [0.0, 0.0, 1.0]])


def camera_to_ego_matrix(cal: Calibration) -> np.ndarray:
    """The 4x4 camera-to-ego rigid transform."""
    return np.asarray(cal.camera_to_ego, dtype=np.float64).reshape(4, 4)


def ego_to_camera_matrix(cal: Calibration) -> np.ndarray:
    """The 4x4 ego-to-camera rigid transform (inverse of camera_to_ego)."""
    m = camera_to_ego_matrix(cal)
    inv = np.eye(4)
    inv[:3, :3] = m[:3, :3].T
    inv[:3, 3] = -m[:3, :3].T @ m[:3, 3]
    return inv


def ego_to_camera_points(cal: Calibration, points_ego: np.ndarray) -> np.ndarray:
    """Transform (N, 3) ego points into the camera frame."""
    m = ego_to_camera_matrix(cal)
    out: np.ndarray = np.asarray(points_ego, dtype=np.float64) @ m[:3, :3].T + m[:3, 3]
    return out


def camera_to_ego_points(cal: Calibration, points_cam: np.ndarray) -> np.ndarray:
    """Transform (N, 3) camera points into the ego frame."""
    m = camera_to_ego_matrix(cal)
    out: np.ndarray = np.asarray(points_cam, dtype=np.float64) @ m[:3, :3].T + m[:3, 3]
    return out


def project_camera_points(cal: Calibration, points_cam: np.ndarray) -> np.ndarray:
    """Project (N, 3) camera-frame points to (N, 2) pixels; depth must be positive."""
    z = points_cam[:, 2]
    u = cal.fx * points_cam[:, 0] / z + cal.cx
    v = cal.fy * points_cam[:, 1] / z + cal.cy
    return np.stack([u, v], axis=1)


def project_ego_points(cal: Calibration, points_ego: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project (N, 3) ego points to pixels; returns (uv (N, 2), depth (N,)).

    Points behind the near plane get NaN pixels so callers can mask them.
    """
    cam = ego_to_camera_points(cal, points_ego)
    depth = cam[:, 2]
    uv = np.full((len(cam), 2), np.nan)
    ok = depth > NEAR_M
    if ok.any():
        uv[ok] = project_camera_points(cal, cam[ok])
    return uv, depth


def pixel_rays_ego(cal: Calibration, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Viewing rays through pixels (u, v): (origin (3,), directions (N, 3)) in the ego frame."""
    m = camera_to_ego_matrix(cal)
    d_cam = np.stack(
        [(np.asarray(u) - cal.cx) / cal.fx, (np.asarray(v) - cal.cy) / cal.fy, np.ones(len(u))],
        axis=1,
    )
    return m[:3, 3].copy(), d_cam @ m[:3, :3].T


def lift_to_ground(
    cal: Calibration, u: np.ndarray, v: np.ndarray, ground_z: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Intersect pixel rays with the plane z = ground_z; returns (points (N, 3), valid (N,))."""
    origin, dirs = pixel_rays_ego(cal, np.asarray(u, float), np.asarray(v, float))
    dz = dirs[:, 2]
    valid = dz < -1e-9
    lam = np.where(valid, (ground_z - origin[2]) / np.where(valid, dz, -1.0), np.nan)
    points = origin + lam[:, None] * dirs
    return points, valid & np.isfinite(lam)


def scale_calibration(cal: Calibration, width: int, height: int) -> Calibration:
    """The same camera seen at another image size (intrinsics scaled, mounting unchanged)."""
    sx, sy = width / cal.width, height / cal.height
    return Calibration(
        cal.fx * sx, cal.fy * sy, cal.cx * sx, cal.cy * sy, width, height, cal.camera_to_ego
    )


def mounted_calibration(
    width: int, height: int, hfov_deg: float, height_m: float, pitch_deg: float
) -> Calibration:
    """A forward camera at `height_m` above ground, pitched down by `pitch_deg` (positive down)."""
    fx = (width / 2.0) / np.tan(np.radians(hfov_deg / 2.0))
    # Columns of the rotation: camera x, y, z axes expressed in ego coordinates.
    p = np.radians(pitch_deg)
    x_axis = np.array([0.0, -1.0, 0.0])
    z_axis = np.array([np.cos(p), 0.0, -np.sin(p)])
    y_axis = np.cross(z_axis, x_axis)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2] = x_axis, y_axis, z_axis
    m[:3, 3] = (0.0, 0.0, height_m)
    flat = tuple(float(x) for x in m.reshape(-1))
    return Calibration(float(fx), float(fx), width / 2.0, height / 2.0, width, height, flat)
