"""Lane checks: sideways jumps and ID switches between frames, kinks, and crossing lanes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from qa.arrays import BoolArray, DocumentArrays, FloatArray, IntArray
from qa.findings import Finding
from qa.polylines import columns, crossings, kinks, lateral_band, mean_distance, resample
from qa.profile import QAProfile


@dataclass(frozen=True, eq=False)
class _Lanes:
    """Lanes sorted by (lane, frame), and what the lane checks need about them.

    Exact geometry works on lanes resampled by arc length, computed only for the few lanes a
    cheap bound cannot clear.
    """

    arrays: DocumentArrays
    profile: QAProfile
    verts: FloatArray  # world frame when ego poses are known
    n_vertices: IntArray
    valid: BoolArray
    frame: IntArray
    code: IntArray

    def name(self, i: int) -> str:
        return self.arrays.lane_ids[int(self.code[i])]

    def frame_of(self, i: int) -> int:
        return int(self.arrays.frame_index[self.frame[i]])

    def resampled(self, idx: IntArray) -> tuple[FloatArray, FloatArray]:
        return resample(self.verts[idx], self.n_vertices[idx])

    def finding(
        self, check: str, frames: tuple[int, ...], ids: tuple[str, ...], value: float,
        threshold: float, message: str,
    ) -> Finding:
        return Finding(
            check, self.profile.severity_of(check), frames, ids, float(value),
            float(threshold), message,
        )


def check_lanes(arrays: DocumentArrays, profile: QAProfile) -> list[Finding]:
    """All lane findings of a document."""
    la = arrays.lanes
    if len(la) == 0:
        return []
    verts = la.vertices
    if arrays.ego_poses is not None:
        verts = _to_world(verts, arrays.ego_poses[la.frame])
    seg = np.nan_to_num(np.hypot(np.diff(verts[..., 0], axis=1), np.diff(verts[..., 1], axis=1)))
    valid = (la.n_vertices >= 2) & (seg.sum(axis=1) > 0)
    lanes = _Lanes(arrays, profile, verts, la.n_vertices, valid, la.frame, la.lane)
    out = _smoothness(lanes)
    out += _jumps_and_switches(lanes)
    out += _crossing(lanes)
    return out


def _to_world(verts: FloatArray, ego: FloatArray) -> FloatArray:
    c, s = np.cos(ego[:, 2])[:, None], np.sin(ego[:, 2])[:, None]
    x = ego[:, 0:1] + c * verts[..., 0] - s * verts[..., 1]
    y = ego[:, 1:2] + s * verts[..., 0] + c * verts[..., 1]
    return np.stack([x, y], axis=-1)


def _smoothness(lanes: _Lanes) -> list[Finding]:
    p = lanes.profile
    limit = math.radians(p.lane_max_turn_deg)
    rows, turn = kinks(lanes.verts, lanes.n_vertices, p.lane_min_segment_m, limit)
    out = []
    for i, angle in zip(rows.tolist(), turn.tolist(), strict=True):
        lid, f = lanes.name(i), lanes.frame_of(i)
        out.append(lanes.finding(
            "lane_smoothness", (f,), (lid,), angle, limit,
            f"Lane {lid} bends by {math.degrees(angle):.0f} degrees at one point in frame "
            f"{f} (> {p.lane_max_turn_deg:.0f} allowed); smooth the polyline.",
        ))
    return out


def _limit(lanes: _Lanes, dt: FloatArray) -> FloatArray:
    p = lanes.profile
    if lanes.arrays.ego_poses is not None:
        return np.full(dt.shape, p.lane_lateral_jump_m)
    return np.asarray(p.lane_lateral_jump_m + p.lane_ego_lateral_speed_mps * np.abs(dt))


def _jumps_and_switches(lanes: _Lanes) -> list[Finding]:
    ts = lanes.arrays.timestamp_s
    a = np.flatnonzero((lanes.code[1:] == lanes.code[:-1]) & lanes.valid[1:] & lanes.valid[:-1])
    b = a + 1
    dt = ts[lanes.frame[b]] - ts[lanes.frame[a]]
    limit = _limit(lanes, dt)
    # Two views that lie in one narrow band are closer than twice its half-width: skip the
    # exact point-to-polyline distance for them (most lanes, most frames).
    dist = np.zeros(a.shape[0])
    band = lateral_band(lanes.verts[a], lanes.n_vertices[a], lanes.verts[b], lanes.n_vertices[b])
    exact = np.flatnonzero(2.0 * band >= limit)
    if exact.shape[0]:
        dist[exact] = mean_distance(lanes.resampled(b[exact])[0], lanes.resampled(a[exact])[0])
    jumped = dist > limit
    jumped_into = np.zeros(lanes.code.shape[0], np.bool_)
    jumped_into[b[jumped & (lanes.frame[b] - lanes.frame[a] == 1)]] = True
    switches, renamed = _switches(lanes, jumped_into)
    out = []
    for k in np.flatnonzero(jumped):
        i = int(b[k])
        if i in renamed:
            continue
        lid, f0, f1 = lanes.name(i), lanes.frame_of(int(a[k])), lanes.frame_of(i)
        out.append(lanes.finding(
            "lane_jump", (f0, f1), (lid,), dist[k], limit[k],
            f"Lane {lid} moves sideways by {dist[k]:.2f} m between frames {f0} and {f1} "
            f"(> {limit[k]:.2f} m allowed); keep the lane on the same marking.",
        ))
    return out + switches


def _present(lanes: _Lanes) -> IntArray:
    n_frames = lanes.arrays.frame_index.shape[0]
    keys = lanes.code[lanes.valid] * (n_frames + 1) + lanes.frame[lanes.valid]
    return np.asarray(np.sort(keys))


def _switches(lanes: _Lanes, jumped_into: BoolArray) -> tuple[list[Finding], set[int]]:
    """Lanes at frame f that continue a lane labelled with another ID at frame f - 1."""
    n_frames = lanes.arrays.frame_index.shape[0]
    present = _present(lanes)
    key_prev = lanes.code * (n_frames + 1) + lanes.frame - 1
    new_id = ~np.isin(key_prev, present)
    sus = np.flatnonzero(lanes.valid & (lanes.frame > 0) & (new_id | jumped_into))
    if sus.shape[0] == 0:
        return [], set()
    cur, prev = _pairs_with_previous_frame(lanes, sus)
    keep = lanes.valid[prev] & (lanes.code[prev] != lanes.code[cur])
    cur, prev = cur[keep], prev[keep]
    ts = lanes.arrays.timestamp_s
    dist = mean_distance(lanes.resampled(cur)[0], lanes.resampled(prev)[0])
    limit = _limit(lanes, ts[lanes.frame[cur]] - ts[lanes.frame[prev]])
    # The old ID must not simply continue where it was; otherwise this is a second lane.
    key_old_now = lanes.code[prev] * (n_frames + 1) + lanes.frame[cur]
    old_continues = np.isin(key_old_now, present) & ~_jumped_key(lanes, key_old_now, jumped_into)
    match = (dist < limit) & ~old_continues
    return _switch_findings(lanes, cur[match], prev[match], dist[match], limit[match])


def _jumped_key(lanes: _Lanes, keys: IntArray, jumped_into: BoolArray) -> BoolArray:
    n_frames = lanes.arrays.frame_index.shape[0]
    jumped_keys = lanes.code[jumped_into] * (n_frames + 1) + lanes.frame[jumped_into]
    return np.isin(keys, jumped_keys)


def _pairs_with_previous_frame(lanes: _Lanes, sus: IntArray) -> tuple[IntArray, IntArray]:
    order = np.argsort(lanes.frame, kind="stable")
    sorted_frames = lanes.frame[order]
    f_prev = lanes.frame[sus] - 1
    start = np.searchsorted(sorted_frames, f_prev, "left")
    count = np.searchsorted(sorted_frames, f_prev, "right") - start
    cur = np.repeat(sus, count)
    offsets = np.arange(cur.shape[0]) - np.repeat(np.cumsum(count) - count, count)
    prev = order[np.repeat(start, count) + offsets]
    return cur, prev


def _switch_findings(
    lanes: _Lanes, cur: IntArray, prev: IntArray, dist: FloatArray, limit: FloatArray
) -> tuple[list[Finding], set[int]]:
    out: list[Finding] = []
    seen: set[tuple[str, str, int]] = set()
    renamed: set[int] = set()
    for k in np.argsort(dist, kind="stable"):
        i, j = int(cur[k]), int(prev[k])
        old, new, f0, f1 = lanes.name(j), lanes.name(i), lanes.frame_of(j), lanes.frame_of(i)
        renamed.add(i)
        low, high = sorted((old, new))
        key = (low, high, f1)
        if key in seen:
            continue
        seen.add(key)
        out.append(lanes.finding(
            "lane_id_switch", (f0, f1), (old, new), dist[k], limit[k],
            f"Lane {new} in frame {f1} is the lane labelled {old} in frame {f0} "
            f"({dist[k]:.2f} m apart); keep one lane ID for one marking.",
        ))
    return out, renamed


def _crossing(lanes: _Lanes) -> list[Finding]:
    i, j = _same_frame_pairs(lanes)
    if i.shape[0] == 0:
        return []
    margin = lanes.profile.lane_cross_end_margin_m
    (pi, li), (pj, lj) = lanes.resampled(i), lanes.resampled(j)
    hit, where = crossings(pi, li, pj, lj, margin)
    out = []
    for k in np.flatnonzero(hit):
        a, b = sorted((lanes.name(int(i[k])), lanes.name(int(j[k]))))
        f = lanes.frame_of(int(i[k]))
        x, y = where[k]
        out.append(lanes.finding(
            "lane_crossing", (f,), (a, b), 1.0, 0.0,
            f"Lanes {a} and {b} cross each other in frame {f} near ({x:.1f} m, {y:.1f} m); "
            "lane markings only meet where lanes merge or split.",
        ))
    return out


def _same_frame_pairs(lanes: _Lanes) -> tuple[IntArray, IntArray]:
    """Pairs of valid lanes in the same frame whose bounding boxes meet."""
    idx = np.flatnonzero(lanes.valid)
    idx = idx[np.argsort(lanes.frame[idx], kind="stable")]
    f = lanes.frame[idx]
    n = idx.shape[0]
    stop = np.searchsorted(f, f, "right")
    count = stop - np.arange(n) - 1
    first = np.repeat(np.arange(n), count)
    second = first + 1 + np.arange(first.shape[0]) - np.repeat(np.cumsum(count) - count, count)
    i, j = idx[first], idx[second]
    x, y = columns(lanes.verts)  # NaN padding: fmin/fmax skip it
    x_lo, x_hi = np.fmin.reduce(x), np.fmax.reduce(x)
    y_lo, y_hi = np.fmin.reduce(y), np.fmax.reduce(y)
    meet = (x_lo[i] <= x_hi[j]) & (x_lo[j] <= x_hi[i])
    meet &= (y_lo[i] <= y_hi[j]) & (y_lo[j] <= y_hi[i])
    return i[meet], j[meet]
