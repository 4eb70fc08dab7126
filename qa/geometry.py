"""Vectorised box geometry: rotated bird's-eye-view intersection and 3D IoU of box pairs.

The intersection of two convex rectangles is the convex hull of the corners of each inside the
other plus the crossings of their edges. Sorting those (at most 24) candidates by angle around
their centroid and padding unused slots with a copy of the first vertex lets one shoelace sum
measure every pair at once, with no per-pair Python loop.
"""

from __future__ import annotations

import numpy as np

from qa.arrays import BoolArray, FloatArray

_SX = np.array([1.0, -1.0, -1.0, 1.0])
_SY = np.array([1.0, 1.0, -1.0, -1.0])
_EPS = 1e-9


def bev_corners(xy: FloatArray, lw: FloatArray, yaw: FloatArray) -> FloatArray:
    """Corners (M, 4, 2), counter-clockwise, of boxes with centre xy, size (l, w) and yaw."""
    x, y = _corners(xy, lw, yaw)
    return np.stack([x.T, y.T], axis=-1)


# Internally every array is (k, M): the pair axis innermost keeps numpy's loops long.
def _corners(xy: FloatArray, lw: FloatArray, yaw: FloatArray) -> tuple[FloatArray, FloatArray]:
    c, s = np.cos(yaw)[None, :], np.sin(yaw)[None, :]
    lx = 0.5 * _SX[:, None] * lw[:, 0][None, :]
    ly = 0.5 * _SY[:, None] * lw[:, 1][None, :]
    return xy[:, 0][None, :] + c * lx - s * ly, xy[:, 1][None, :] + s * lx + c * ly


def _inside(
    px: FloatArray, py: FloatArray, xy: FloatArray, lw: FloatArray, yaw: FloatArray
) -> BoolArray:
    """Which points (P, M) lie inside box m."""
    dx, dy = px - xy[:, 0][None, :], py - xy[:, 1][None, :]
    c, s = np.cos(yaw)[None, :], np.sin(yaw)[None, :]
    u = np.abs(dx * c + dy * s) <= 0.5 * lw[:, 0][None, :] + _EPS
    return u & (np.abs(-dx * s + dy * c) <= 0.5 * lw[:, 1][None, :] + _EPS)


def _edge_crossings(
    ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Crossings (16, M) of the 4 edges of box a with the 4 edges of box b, and validity."""
    px, py = ax[:, None, :], ay[:, None, :]
    rx, ry = (np.roll(ax, -1, axis=0) - ax)[:, None, :], (np.roll(ay, -1, axis=0) - ay)[:, None, :]
    qx, qy = bx[None, :, :], by[None, :, :]
    sx, sy = (np.roll(bx, -1, axis=0) - bx)[None, :, :], (np.roll(by, -1, axis=0) - by)[None, :, :]
    denom = rx * sy - ry * sx
    ok = np.abs(denom) > _EPS
    safe = np.where(ok, denom, 1.0)
    qpx, qpy = qx - px, qy - py
    t = (qpx * sy - qpy * sx) / safe
    u = (qpx * ry - qpy * rx) / safe
    ok &= (t >= 0.0) & (t <= 1.0) & (u >= 0.0) & (u <= 1.0)
    m = ax.shape[1]
    return (px + t * rx).reshape(16, m), (py + t * ry).reshape(16, m), ok.reshape(16, m)


def _convex_area(px: FloatArray, py: FloatArray, mask: BoolArray) -> FloatArray:
    """Area of the convex polygon whose vertices are the masked points of each column."""
    count = mask.sum(axis=0)
    w = mask.astype(np.float64)
    n = np.maximum(count, 1)
    rx = px - (px * w).sum(axis=0) / n
    ry = py - (py * w).sum(axis=0) / n
    angle = np.where(mask, np.arctan2(ry, rx), 10.0)
    order = np.argsort(angle, axis=0)
    sx = np.take_along_axis(rx, order, axis=0)
    sy = np.take_along_axis(ry, order, axis=0)
    smask = np.take_along_axis(mask, order, axis=0)
    sx = np.where(smask, sx, sx[0])
    sy = np.where(smask, sy, sy[0])
    area = 0.5 * np.abs((sx * np.roll(sy, -1, axis=0) - sy * np.roll(sx, -1, axis=0)).sum(axis=0))
    return np.asarray(np.where(count >= 3, area, 0.0), np.float64)


def rectangles_touch(
    a_xy: FloatArray, a_lw: FloatArray, a_yaw: FloatArray,
    b_xy: FloatArray, b_lw: FloatArray, b_yaw: FloatArray,
) -> BoolArray:
    """Separating-axis test: whether rotated rectangle pairs (a[m], b[m]) intersect."""
    d = b_xy - a_xy
    ca, sa, cb, sb = np.cos(a_yaw), np.sin(a_yaw), np.cos(b_yaw), np.sin(b_yaw)
    ha, wa, hb, wb = a_lw[:, 0] / 2, a_lw[:, 1] / 2, b_lw[:, 0] / 2, b_lw[:, 1] / 2
    cos_d = np.abs(ca * cb + sa * sb)  # |cos| of the angle between the two boxes' x axes
    sin_d = np.abs(sa * cb - ca * sb)
    touch = np.abs(d[:, 0] * ca + d[:, 1] * sa) <= ha + hb * cos_d + wb * sin_d
    touch &= np.abs(-d[:, 0] * sa + d[:, 1] * ca) <= wa + hb * sin_d + wb * cos_d
    touch &= np.abs(d[:, 0] * cb + d[:, 1] * sb) <= hb + ha * cos_d + wa * sin_d
    touch &= np.abs(-d[:, 0] * sb + d[:, 1] * cb) <= wb + ha * sin_d + wa * cos_d
    return np.asarray(touch, np.bool_)


def bev_intersection(
    a_xy: FloatArray, a_lw: FloatArray, a_yaw: FloatArray,
    b_xy: FloatArray, b_lw: FloatArray, b_yaw: FloatArray,
) -> FloatArray:
    """Bird's-eye-view intersection area of box pairs (a[m], b[m])."""
    if a_xy.shape[0] == 0:
        return np.zeros(0)
    ax, ay = _corners(a_xy, a_lw, a_yaw)
    bx, by = _corners(b_xy, b_lw, b_yaw)
    cx, cy, cross_ok = _edge_crossings(ax, ay, bx, by)
    px = np.concatenate([ax, bx, cx], axis=0)
    py = np.concatenate([ay, by, cy], axis=0)
    mask = np.concatenate(
        [_inside(ax, ay, b_xy, b_lw, b_yaw), _inside(bx, by, a_xy, a_lw, a_yaw), cross_ok],
        axis=0,
    )
    return _convex_area(px, py, mask)


def iou_3d(
    a_xyz: FloatArray, a_lwh: FloatArray, a_yaw: FloatArray,
    b_xyz: FloatArray, b_lwh: FloatArray, b_yaw: FloatArray,
) -> FloatArray:
    """3D IoU of yaw-rotated box pairs: BEV intersection times the height overlap."""
    inter_bev = bev_intersection(
        a_xyz[:, :2], a_lwh[:, :2], a_yaw, b_xyz[:, :2], b_lwh[:, :2], b_yaw
    )
    top = np.minimum(a_xyz[:, 2] + a_lwh[:, 2] / 2, b_xyz[:, 2] + b_lwh[:, 2] / 2)
    bottom = np.maximum(a_xyz[:, 2] - a_lwh[:, 2] / 2, b_xyz[:, 2] - b_lwh[:, 2] / 2)
    inter = inter_bev * np.clip(top - bottom, 0.0, None)
    union = a_lwh.prod(axis=1) + b_lwh.prod(axis=1) - inter
    return np.asarray(np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0))


def bev_iou(
    a_xy: FloatArray, a_lw: FloatArray, a_yaw: FloatArray,
    b_xy: FloatArray, b_lw: FloatArray, b_yaw: FloatArray,
) -> FloatArray:
    """Bird's-eye-view IoU of rotated box pairs."""
    inter = bev_intersection(a_xy, a_lw, a_yaw, b_xy, b_lw, b_yaw)
    union = a_lw.prod(axis=1) + b_lw.prod(axis=1) - inter
    return np.asarray(np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0))
