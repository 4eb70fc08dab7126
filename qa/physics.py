"""Physical-plausibility checks: speed, acceleration, yaw rate, heading flips, ground contact."""

from __future__ import annotations

import math

import numpy as np

from qa.arrays import BoolArray, FloatArray
from qa.context import TrackContext, finding
from qa.findings import Finding, continued
from qa.runs import runs


def _safe_dt(dt: FloatArray) -> FloatArray:
    return np.where(dt > 0, dt, np.inf)


def speed(ctx: TrackContext, explained: BoolArray) -> list[Finding]:
    """Steps faster than the class allows."""
    v = ctx.dist / _safe_dt(ctx.dt)
    limit = ctx.max_speed[ctx.step]
    out = []
    for k in np.flatnonzero((v > limit) & ~explained):
        o = int(ctx.step[k])
        tid, f0, f1 = ctx.track_id_of(o), ctx.frame_of(o), ctx.frame_of(o + 1)
        out.append(finding(
            ctx, "speed", (f0, f1), (tid,), v[k], limit[k],
            f"Track {tid} ({ctx.category_of(o)}) moves {ctx.dist[k]:.2f} m between frames "
            f"{f0} and {f1}: {v[k]:.1f} m/s > {limit[k]:.1f} m/s allowed.",
        ))
    return out


def accel_stride(ctx: TrackContext) -> int:
    """Observations per side of the acceleration baseline (time-based, not an assumed fps)."""
    dts = ctx.dt[ctx.dt > 0]
    if dts.shape[0] == 0:
        return 1
    mid = dts.shape[0] // 2
    median = float(np.partition(dts, mid)[mid])
    return max(1, round(ctx.profile.accel_window_s / median))


def acceleration(ctx: TrackContext, explained: BoolArray) -> list[Finding]:
    """Accelerations beyond the class limit, over a baseline of ``accel_window_s`` per side."""
    s = accel_stride(ctx)
    n = ctx.track.shape[0]
    if n <= 2 * s:
        return []
    a = _accel_all(ctx, s)  # at observations s .. n - s - 1, windows j - s .. j + s
    bad_step = np.zeros(n, np.int64)
    bad_step[ctx.step] = explained | (ctx.dt <= 0)
    cum = np.concatenate([[0], np.cumsum(bad_step)])
    ok = (ctx.track[: n - 2 * s] == ctx.track[2 * s :]) & (cum[2 * s : n] == cum[: n - 2 * s])
    limit = ctx.max_accel[s : n - s]
    hit = np.flatnonzero(ok & (a > limit))
    return [_accel_finding(ctx, int(k) + s, s, float(a[k]), float(limit[k])) for k in hit]


def _accel_all(ctx: TrackContext, s: int) -> FloatArray:
    """Acceleration at every observation with ``s`` neighbours each side (slices, no copies).

    Windows that straddle two tracks get nonsense values here; the caller masks them.
    """
    n = ctx.track.shape[0]
    lo, mid, hi = slice(0, n - 2 * s), slice(s, n - s), slice(2 * s, n)
    t, x, y = ctx.t, ctx.xy[:, 0], ctx.xy[:, 1]
    dt1, dt2, span = t[mid] - t[lo], t[hi] - t[mid], (t[hi] - t[lo]) / 2
    dt1[dt1 <= 0] = np.inf
    dt2[dt2 <= 0] = np.inf
    span[span <= 0] = np.inf
    ax = (x[hi] - x[mid]) / dt2 - (x[mid] - x[lo]) / dt1
    ay = (y[hi] - y[mid]) / dt2 - (y[mid] - y[lo]) / dt1
    return np.asarray(np.hypot(ax, ay) / span)


def _accel_finding(ctx: TrackContext, o: int, s: int, a: float, limit: float) -> Finding:
    tid, f0, f1 = ctx.track_id_of(o), ctx.frame_of(o - s), ctx.frame_of(o + s)
    window = tuple(ctx.frame_of(o + d) for d in range(-s, s + 1))
    return finding(
        ctx, "acceleration", window, (tid,), a, limit,
        f"Track {tid} ({ctx.category_of(o)}) accelerates at {a:.1f} m/s^2 around frame "
        f"{ctx.frame_of(o)} (frames {f0}-{f1}) > {limit:.1f} m/s^2 allowed; check its "
        "position there.",
    )


def yaw(ctx: TrackContext, explained: BoolArray) -> list[Finding]:
    """Heading flips (about 180 degrees between frames) and yaw rates beyond the class limit."""
    turn = np.abs(ctx.dyaw)
    flip_min = ctx.profile.yaw_flip_min_rad
    flip = (turn > flip_min) & ~explained
    dt = _safe_dt(ctx.dt)
    rate = turn / dt
    # Heading jitter of a few degrees is labelling noise, not turning: allow it per step.
    limit = ctx.max_yaw_rate[ctx.step] + ctx.profile.yaw_jitter_rad / dt
    fast = (rate > limit) & ~flip & ~explained
    out = []
    for k in np.flatnonzero(flip | fast):
        o = int(ctx.step[k])
        tid, f0, f1 = ctx.track_id_of(o), ctx.frame_of(o), ctx.frame_of(o + 1)
        deg = math.degrees(turn[k])
        if flip[k]:
            out.append(finding(
                ctx, "yaw_flip", (f0, f1), (tid,), turn[k], flip_min,
                f"Track {tid} turns by {deg:.0f} degrees between frames {f0} and {f1}: its "
                "heading looks flipped (front and back swapped).",
            ))
        else:
            out.append(finding(
                ctx, "yaw_rate", (f0, f1), (tid,), rate[k], limit[k],
                f"Track {tid} ({ctx.category_of(o)}) turns {deg:.0f} degrees between frames "
                f"{f0} and {f1}: {rate[k]:.2f} rad/s > {limit[k]:.2f} rad/s allowed.",
            ))
    return out


def ground(ctx: TrackContext) -> list[Finding]:
    """Boxes whose bottom lies below the ground or floats above it (ego frame, z up)."""
    p = ctx.profile
    bottom = ctx.z - ctx.lwh[:, 2] / 2
    extra = p.ground_tolerance_per_m * ctx.range_m
    low, high = p.ground_z_min_m - extra, p.ground_z_max_m + extra
    bad = np.flatnonzero((bottom < low) | (bottom > high))
    below = bottom[bad] < low[bad]
    out = []
    for run in runs(ctx.track[bad] * 2 + below, ctx.frame[bad]):
        idx = bad[run]
        frames = tuple(ctx.arrays.frame_index[ctx.frame[idx]].tolist())
        if below[run[0]]:
            o = int(idx[np.argmin(bottom[idx] - low[idx])])
            out.append(_ground_finding(ctx, "below_ground", o, bottom[o], low[o], frames))
        else:
            o = int(idx[np.argmax(bottom[idx] - high[idx])])
            out.append(_ground_finding(ctx, "floating", o, bottom[o], high[o], frames))
    return out


def _ground_finding(
    ctx: TrackContext, check: str, o: int, bottom: float, limit: float, frames: tuple[int, ...]
) -> Finding:
    tid, f = ctx.track_id_of(o), ctx.frame_of(o)
    if check == "below_ground":
        message = (f"Track {tid} box bottom is {-bottom:.2f} m below the ground in frame {f} "
                   f"(lowest allowed here: {limit:.2f} m); raise the box or fix its height.")
    else:
        message = (f"Track {tid} box bottom is {bottom:.2f} m above the ground in frame {f} "
                   f"(highest allowed here: {limit:.2f} m); lower the box or fix its height.")
    return finding(ctx, check, frames, (tid,), bottom, limit, continued(message, frames))
