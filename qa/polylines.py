"""Vectorised lane-polyline geometry over NaN-padded (L, P, 2) vertex arrays."""

from __future__ import annotations

import math

import numpy as np

from qa.arrays import BoolArray, FloatArray, IntArray

RESAMPLE_POINTS = 10


def columns(points: FloatArray) -> tuple[FloatArray, FloatArray]:
    """x and y of (M, K, 2) points as contiguous (K, M) arrays: pairs innermost is fastest."""
    return np.ascontiguousarray(points[:, :, 0].T), np.ascontiguousarray(points[:, :, 1].T)


def resample(
    vertices: FloatArray, n_vertices: IntArray, k: int = RESAMPLE_POINTS
) -> tuple[FloatArray, FloatArray]:
    """Each polyline as ``k`` points evenly spaced by arc length, and its length.

    Resampling makes distances independent of how densely an annotator clicked; polylines with
    fewer than two vertices or zero length come back as NaN.
    """
    n_lanes, n_pts = vertices.shape[0], vertices.shape[1]
    if n_lanes == 0:
        return np.zeros((0, k, 2)), np.zeros(0)
    vx, vy = columns(vertices)  # (P, L): lanes innermost is fastest
    seglen = np.nan_to_num(np.hypot(np.diff(vx, axis=0), np.diff(vy, axis=0)))
    cum = np.concatenate([np.zeros((1, n_lanes)), np.cumsum(seglen, axis=0)], axis=0)
    last = np.clip(n_vertices - 1, 0, None)
    lanes = np.arange(n_lanes)
    total = cum[last, lanes]
    targets = np.linspace(0.0, 1.0, k)[:, None] * total[None, :]  # (K, L)
    inner = np.arange(1, n_pts)[None, :, None] < last[None, None, :]
    idx = ((cum[None, 1:, :] <= targets[:, None, :]) & inner).sum(axis=1)  # (K, L)
    c0 = cum[idx, lanes]
    sl = seglen[np.minimum(idx, n_pts - 2), lanes]
    frac = np.clip(np.where(sl > 0, (targets - c0) / np.where(sl > 0, sl, 1.0), 0.0), 0, 1)
    nxt = np.minimum(idx + 1, n_pts - 1)
    x = vx[idx, lanes] + frac * (vx[nxt, lanes] - vx[idx, lanes])
    y = vy[idx, lanes] + frac * (vy[nxt, lanes] - vy[idx, lanes])
    pts = np.stack([x.T, y.T], axis=-1)
    bad = (n_vertices < 2) | ~(total > 0)
    pts[bad] = np.nan
    return pts, np.where(bad, np.nan, total)


def mean_distance(points: FloatArray, lines: FloatArray) -> FloatArray:
    """Mean distance from points[m] (M, K, 2) to polyline lines[m] (M, S+1, 2).

    Only points that lie alongside the line count (not before its first or past its last
    vertex), so two views of a lane that cover different stretches of road (the ego moved)
    compare over their overlap; NaN where there is none.
    """
    if points.shape[0] == 0:
        return np.zeros(0)
    # (K, S, M) layout: numpy broadcasts fastest with the long pair axis innermost.
    px, py = columns(points)
    px, py = px[:, None, :], py[:, None, :]
    lx, ly = columns(lines)
    ax, ay = lx[None, :-1, :], ly[None, :-1, :]
    abx, aby = lx[None, 1:, :] - ax, ly[None, 1:, :] - ay
    inv = 1.0 / (abx * abx + aby * aby + 1e-12)
    apx, apy = px - ax, py - ay
    t = (apx * abx + apy * aby) * inv
    np.clip(t, 0.0, 1.0, out=t)
    ex, ey = apx - t * abx, apy - t * aby
    dmin = np.sqrt((ex * ex + ey * ey).min(axis=1))  # (K, M)
    before = (px[:, 0, :] - lx[0]) * abx[0, 0] + (py[:, 0, :] - ly[0]) * aby[0, 0] < 0
    after = (px[:, 0, :] - lx[-1]) * abx[0, -1] + (py[:, 0, :] - ly[-1]) * aby[0, -1] > 0
    keep = ~(before | after) & np.isfinite(dmin)
    count = keep.sum(axis=0)
    total = (np.nan_to_num(dmin) * keep).sum(axis=0)
    return np.asarray(np.where(count > 0, total / np.maximum(count, 1), np.nan), np.float64)


def lateral_band(
    a: FloatArray, n_a: IntArray, b: FloatArray, n_b: IntArray
) -> FloatArray:
    """Half-width of the band around the chord of polyline a[m] that holds a[m] and b[m].

    Works on NaN-padded vertices. Where both polylines lie within w of one line, every point of
    b alongside a is within 2w of a: a cheap upper bound on ``mean_distance``.
    """
    ax, ay = columns(a)
    bx, by = columns(b)
    cols = np.arange(ax.shape[1])
    x0, y0 = ax[0], ay[0]
    last = np.maximum(n_a - 1, 0)
    dx, dy = ax[last, cols] - x0, ay[last, cols] - y0
    norm = np.hypot(dx, dy)
    norm = np.where(norm > 0, norm, np.inf)
    nx, ny = -dy / norm, dx / norm
    lat_a = np.fmax.reduce(np.abs((ax - x0) * nx + (ay - y0) * ny), axis=0)
    lat_b = np.fmax.reduce(np.abs((bx - x0) * nx + (by - y0) * ny), axis=0)
    band = np.fmax(lat_a, lat_b)
    # Degenerate chords (one vertex, or a closed loop) never pass the filter.
    return np.asarray(np.where((n_a >= 2) & (n_b >= 1) & np.isfinite(norm), band, np.inf))


def crossings(
    a: FloatArray, a_len: FloatArray, b: FloatArray, b_len: FloatArray, margin: float
) -> tuple[BoolArray, FloatArray]:
    """Whether resampled polylines a[m] and b[m] cross away from their ends, and where.

    A crossing closer than ``margin`` metres (arc length) to either polyline's end is allowed:
    lanes meet at merges and forks.
    """
    m = a.shape[0]
    if m == 0:
        return np.zeros(0, np.bool_), np.zeros((0, 2))
    # (S_a, S_b, M) layout, pairs innermost.
    ax, ay = columns(a)
    bx, by = columns(b)
    px, py = ax[:-1, None, :], ay[:-1, None, :]
    rx, ry = np.diff(ax, axis=0)[:, None, :], np.diff(ay, axis=0)[:, None, :]
    qx, qy = bx[None, :-1, :], by[None, :-1, :]
    sx, sy = np.diff(bx, axis=0)[None, :, :], np.diff(by, axis=0)[None, :, :]
    denom = rx * sy - ry * sx
    ok = np.abs(denom) > 1e-12
    safe = np.where(ok, denom, 1.0)
    qpx, qpy = qx - px, qy - py
    t = (qpx * sy - qpy * sx) / safe
    u = (qpx * ry - qpy * rx) / safe
    ok &= (t >= 0.0) & (t <= 1.0) & (u >= 0.0) & (u <= 1.0)
    n_seg = a.shape[1] - 1
    s_a = (np.arange(n_seg)[:, None, None] + t) * (a_len / n_seg)
    s_b = (np.arange(n_seg)[None, :, None] + u) * (b_len / n_seg)
    ok &= (s_a > margin) & (s_a < a_len - margin) & (s_b > margin) & (s_b < b_len - margin)
    flat = ok.reshape(-1, m)
    first = np.argmax(flat, axis=0)
    cols = np.arange(m)
    wx = (px + t * rx).reshape(-1, m)[first, cols]
    wy = (py + t * ry).reshape(-1, m)[first, cols]
    return np.asarray(flat.any(axis=0), np.bool_), np.column_stack([wx, wy])


def kinks(
    vertices: FloatArray, n_vertices: IntArray, min_segment: float, max_turn: float
) -> tuple[IntArray, FloatArray]:
    """Polylines that turn by more than ``max_turn`` (radians) at an interior vertex.

    Returns their indices and largest turn. Vertices next to a segment shorter than
    ``min_segment`` are skipped: there the clicked position's jitter, not the lane, decides the
    angle. Comparing cosines keeps the arctangent off the lanes that pass.
    """
    if vertices.shape[0] == 0:
        return np.zeros(0, np.intp), np.zeros(0)
    sx, sy = np.diff(vertices[..., 0], axis=1), np.diff(vertices[..., 1], axis=1)
    length = np.hypot(sx, sy)
    dot = sx[:, :-1] * sx[:, 1:] + sy[:, :-1] * sy[:, 1:]
    valid = (length[:, :-1] >= min_segment) & (length[:, 1:] >= min_segment)
    valid &= np.arange(dot.shape[1])[None, :] < (n_vertices - 2)[:, None]
    bent = valid & (dot < math.cos(max_turn) * length[:, :-1] * length[:, 1:])
    rows = np.flatnonzero(bent.any(axis=1))
    cross = sx[rows, :-1] * sy[rows, 1:] - sy[rows, :-1] * sx[rows, 1:]
    turn = np.where(valid[rows], np.arctan2(np.abs(cross), dot[rows]), 0.0)
    return rows, np.asarray(turn.max(axis=1, initial=0.0), np.float64)
