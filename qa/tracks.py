"""Track-identity checks: duplicates, gaps and coverage holes, ID switches, ID reuse, sizes."""

from __future__ import annotations

import numpy as np

from qa.arrays import BoolArray, DocumentArrays, FloatArray, IntArray
from qa.context import TrackContext, finding
from qa.findings import Finding, frame_span
from qa.profile import QAProfile

_DIMS = ("length", "width", "height")


def duplicates(arrays: DocumentArrays, profile: QAProfile, dup: IntArray) -> list[Finding]:
    """A track ID used by more than one box in the same frame."""
    out = []
    b = arrays.boxes
    for i in dup:
        tid = arrays.track_ids[int(b.track[i])]
        frame = int(arrays.frame_index[b.frame[i]])
        out.append(Finding(
            "duplicate_track_id", profile.severity_of("duplicate_track_id"), (frame,), (tid,),
            2.0, 1.0,
            f"Track {tid} has more than one box in frame {frame}; each object needs its own "
            "track ID.",
        ))
    return out


def timestamp_order(arrays: DocumentArrays, profile: QAProfile) -> list[Finding]:
    """Frames whose timestamp does not increase: every motion check depends on it."""
    stamps = arrays.timestamp_s
    out = []
    for k in np.flatnonzero(np.diff(stamps) <= 0):
        f0, f1 = int(arrays.frame_index[k]), int(arrays.frame_index[k + 1])
        out.append(Finding(
            "timestamp_order", profile.severity_of("timestamp_order"), (f0, f1), (),
            float(stamps[k + 1] - stamps[k]), 0.0,
            f"Frame {f1} is not later than frame {f0} (timestamps {stamps[k]:.3f} s and "
            f"{stamps[k + 1]:.3f} s); motion between them cannot be checked.",
        ))
    return out


def gaps(ctx: TrackContext) -> list[Finding]:
    """Frames inside a track's life without its box: coverage holes, or gaps beyond the max."""
    missing = ctx.frame[ctx.step + 1] - ctx.frame[ctx.step] - 1
    limit = ctx.profile.max_gap_frames
    out = []
    for k in np.flatnonzero(missing > 0):
        a, n = int(ctx.step[k]), int(missing[k])
        tid, f0, f1 = ctx.track_id_of(a), ctx.frame_of(a), ctx.frame_of(a + 1)
        if n <= limit:
            inside = ctx.arrays.frame_index[ctx.frame[a] + 1 : ctx.frame[a + 1]]
            lost = tuple(int(f) for f in inside)
            out.append(finding(
                ctx, "coverage", lost, (tid,), n, limit,
                f"Track {tid} has no box in {frame_span(lost)} although it is labelled in "
                f"frames {f0} and {f1}; add the missing box.",
            ))
        else:
            out.append(finding(
                ctx, "track_gap", (f0, f1), (tid,), n, limit,
                f"Track {tid} vanishes after frame {f0} and reappears in frame {f1} "
                f"({n} frames missing > {limit} allowed); use a new track ID or fill the gap.",
            ))
    return out


def _predicted(ctx: TrackContext) -> tuple[FloatArray, FloatArray]:
    """Constant-velocity prediction of each step's end, and the residual to the real end.

    The velocity is the previous step's, or the next step's at a track's first step.
    """
    vel = ctx.disp / np.where(ctx.dt > 0, ctx.dt, np.inf)[:, None]
    chained = (ctx.step[1:] == ctx.step[:-1] + 1)[:, None]
    v = np.zeros_like(vel)
    v[1:] = np.where(chained, vel[:-1], 0.0)
    first = np.ones((vel.shape[0], 1), np.bool_)
    first[1:] = ~chained
    v[:-1] = np.where(first[:-1] & chained, vel[1:], v[:-1])
    pred = ctx.xy[ctx.step] + v * ctx.dt[:, None]
    err = ctx.xy[ctx.step + 1] - pred
    return pred, np.hypot(err[:, 0], err[:, 1])


def id_switches(ctx: TrackContext, explained: BoolArray) -> list[Finding]:
    """Two tracks that swap positions between the same two frames; marks those steps."""
    p = ctx.profile
    pred, resid = _predicted(ctx)
    cand = np.flatnonzero((resid > p.id_switch_min_jump_m) & (ctx.dt > 0))
    if cand.shape[0] < 2:
        return []
    key = ctx.frame[ctx.step[cand]] * (ctx.arrays.frame_index.shape[0] + 1)
    key = key + ctx.frame[ctx.step[cand] + 1]
    order = np.argsort(key, kind="stable")
    cand, key = cand[order], key[order]
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    ends = np.concatenate([starts[1:], [cand.shape[0]]])
    out: list[Finding] = []
    for lo, hi in zip(starts, ends, strict=True):
        if hi - lo >= 2:
            out.extend(_swaps_in_group(ctx, cand[lo:hi], pred, resid, explained))
    return out


def _swaps_in_group(
    ctx: TrackContext, group: IntArray, pred: FloatArray, resid: FloatArray,
    explained: BoolArray,
) -> list[Finding]:
    ends = ctx.xy[ctx.step[group] + 1]
    swapped = np.linalg.norm(ends[None, :, :] - pred[group][:, None, :], axis=-1)
    pair_cost = swapped + swapped.T
    kept = resid[group][:, None] + resid[group][None, :]
    ok = pair_cost < ctx.profile.id_switch_ratio * kept
    np.fill_diagonal(ok, False)
    out = []
    used: set[int] = set()
    for a, b in zip(*np.nonzero(np.triu(ok)), strict=True):
        if int(a) in used or int(b) in used:
            continue
        used.update((int(a), int(b)))
        ka, kb = int(group[a]), int(group[b])
        explained[[ka, kb]] = True
        oa = int(ctx.step[ka])
        ta, tb = sorted((ctx.track_id_of(oa), ctx.track_id_of(int(ctx.step[kb]))))
        f0, f1 = ctx.frame_of(oa), ctx.frame_of(oa + 1)
        jump = float(kept[a, b]) / 2
        out.append(finding(
            ctx, "id_switch", (f0, f1), (ta, tb), jump, ctx.profile.id_switch_min_jump_m,
            f"Tracks {ta} and {tb} appear to swap IDs between frames {f0} and {f1}: each box "
            f"jumps {jump:.1f} m, but only {float(pair_cost[a, b]) / 2:.1f} m if the IDs are "
            "swapped back.",
        ))
    return out


def id_reuse(ctx: TrackContext, explained: BoolArray) -> list[Finding]:
    """A track ID that changes category or teleports: reused for a different object."""
    p = ctx.profile
    a, b = ctx.step, ctx.step + 1
    changed = (ctx.category[a] != ctx.category[b]) & ~explained
    speed = ctx.dist / np.where(ctx.dt > 0, ctx.dt, np.inf)
    limit = p.teleport_speed_factor * ctx.max_speed[a]
    jump = (ctx.dist > p.teleport_min_m) & (speed > limit) & ~explained
    out = []
    for k in np.flatnonzero(changed | jump):
        o = int(a[k])
        tid, f0, f1 = ctx.track_id_of(o), ctx.frame_of(o), ctx.frame_of(o + 1)
        if changed[k]:
            c0, c1 = ctx.category_of(o), ctx.category_of(o + 1)
            msg = (f"Track {tid} is a {c0} in frame {f0} but a {c1} in frame {f1}; a "
                   "different object needs a new track ID.")
            value, threshold = 1.0, 0.0
        else:
            value, threshold = float(speed[k]), float(limit[k])
            msg = (f"Track {tid} jumps {ctx.dist[k]:.1f} m between frames {f0} and {f1} "
                   f"({value:.0f} m/s, far beyond {threshold:.0f} m/s); a different object "
                   "needs a new track ID.")
        out.append(finding(ctx, "id_reuse", (f0, f1), (tid,), value, threshold, msg))
    explained |= changed | jump
    return out


def size_changes(ctx: TrackContext, explained: BoolArray) -> list[Finding]:
    """Length, width or height of a rigid object that changes within its track."""
    a, b = ctx.step, ctx.step + 1
    before = np.where(ctx.lwh[a] > 0, ctx.lwh[a], np.inf)
    rel = np.abs(ctx.lwh[b] - ctx.lwh[a]) / before
    dim = np.argmax(rel, axis=1)
    worst = rel[np.arange(rel.shape[0]), dim]
    tol = ctx.size_tol[a]
    bad = (worst > tol) & ~explained
    out = []
    for k in np.flatnonzero(bad):
        o, d = int(a[k]), int(dim[k])
        tid, f0, f1 = ctx.track_id_of(o), ctx.frame_of(o), ctx.frame_of(o + 1)
        out.append(finding(
            ctx, "size_change", (f0, f1), (tid,), worst[k], tol[k],
            f"Track {tid} changes {_DIMS[d]} from {ctx.lwh[o, d]:.1f} m to "
            f"{ctx.lwh[o + 1, d]:.1f} m ({worst[k]:.0%} > {tol[k]:.0%} allowed) between "
            f"frames {f0} and {f1}.",
        ))
    flagged = set(ctx.track[a[bad]].tolist()) | set(ctx.track[a[explained]].tolist())
    return out + _size_drift(ctx, flagged)


def _size_drift(ctx: TrackContext, skip: set[int]) -> list[Finding]:
    """Slow drift that no single step shows: the size range over the whole track."""
    n = ctx.track.shape[0]
    if n == 0:
        return []
    starts = np.flatnonzero(np.concatenate([[True], ctx.track[1:] != ctx.track[:-1]]))
    hi = np.maximum.reduceat(ctx.lwh, starts, axis=0)
    lo = np.minimum.reduceat(ctx.lwh, starts, axis=0)
    rel = (hi - lo) / np.where(lo > 0, lo, np.inf)
    dim = np.argmax(rel, axis=1)
    worst = rel[np.arange(rel.shape[0]), dim]
    tol = ctx.size_tol[starts]
    out = []
    for j in np.flatnonzero(worst > tol):
        s, d = int(starts[j]), int(dim[j])
        if int(ctx.track[s]) in skip:
            continue
        end = int(starts[j + 1]) if j + 1 < starts.shape[0] else n
        seg = ctx.lwh[s:end, d]
        i_lo, i_hi = s + int(np.argmin(seg)), s + int(np.argmax(seg))
        f_lo, f_hi = ctx.frame_of(i_lo), ctx.frame_of(i_hi)
        tid = ctx.track_id_of(s)
        out.append(finding(
            ctx, "size_change", tuple(sorted((f_lo, f_hi))), (tid,), worst[j], tol[j],
            f"Track {tid} {_DIMS[d]} drifts from {seg.min():.1f} m (frame {f_lo}) to "
            f"{seg.max():.1f} m (frame {f_hi}) ({worst[j]:.0%} > {tol[j]:.0%} allowed); a "
            "rigid object keeps its size.",
        ))
    return out
