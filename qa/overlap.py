"""Distinct objects that overlap in 3D within one frame."""

from __future__ import annotations

import numpy as np

from qa.arrays import IntArray
from qa.context import TrackContext, finding
from qa.findings import Finding, continued
from qa.geometry import iou_3d, rectangles_touch
from qa.runs import runs


def candidate_pairs(ctx: TrackContext) -> tuple[IntArray, IntArray]:
    """Pairs of observations in the same frame whose boxes meet in bird's-eye view.

    Sweep and prune: with boxes sorted by (frame, x), each box only pairs with the boxes that
    follow it within its reach along x, found by one ``searchsorted``; a separating-axis test
    then keeps the pairs whose rotated rectangles really touch.
    """
    n = ctx.frame.shape[0]
    if n < 2:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    radius = 0.5 * np.hypot(ctx.lwh[:, 0], ctx.lwh[:, 1])
    r_max = float(radius.max())
    x = ctx.xy[:, 0]
    span = float(x.max() - x.min()) + 4.0 * r_max + 1.0
    key = ctx.frame * span + (x - float(x.min()))
    order = np.argsort(key, kind="stable")
    key = key[order]
    stop = np.searchsorted(key, key + radius[order] + r_max, "right")
    count = stop - np.arange(n) - 1
    first = np.repeat(np.arange(n), count)
    second = first + 1 + np.arange(first.shape[0]) - np.repeat(np.cumsum(count) - count, count)
    i, j = order[first], order[second]
    keep = np.abs(ctx.xy[i, 1] - ctx.xy[j, 1]) < radius[i] + radius[j]
    i, j = i[keep], j[keep]
    half_h = ctx.lwh[:, 2] / 2
    keep = np.abs(ctx.z[i] - ctx.z[j]) < half_h[i] + half_h[j]
    i, j = i[keep], j[keep]
    keep = rectangles_touch(
        ctx.xy[i], ctx.lwh[i, :2], ctx.yaw[i], ctx.xy[j], ctx.lwh[j, :2], ctx.yaw[j]
    )
    return i[keep], j[keep]


def overlaps(ctx: TrackContext) -> list[Finding]:
    """Pairs of distinct tracks whose 3D IoU in a frame exceeds ``max_overlap_iou``."""
    i, j = candidate_pairs(ctx)
    if i.shape[0] == 0:
        return []
    xyz_i = np.column_stack([ctx.xy[i], ctx.z[i]])
    xyz_j = np.column_stack([ctx.xy[j], ctx.z[j]])
    iou = iou_3d(xyz_i, ctx.lwh[i], ctx.yaw[i], xyz_j, ctx.lwh[j], ctx.yaw[j])
    limit = ctx.profile.max_overlap_iou
    hit = np.flatnonzero(iou > limit)
    i, j, iou = i[hit], j[hit], iou[hit]
    lo, hi = np.minimum(ctx.track[i], ctx.track[j]), np.maximum(ctx.track[i], ctx.track[j])
    out = []
    for run in runs(lo * len(ctx.arrays.track_ids) + hi, ctx.frame[i]):
        k = int(run[np.argmax(iou[run])])
        a, b = sorted((ctx.track_id_of(int(i[k])), ctx.track_id_of(int(j[k]))))
        f = ctx.frame_of(int(i[k]))
        frames = tuple(ctx.arrays.frame_index[ctx.frame[i[run]]].tolist())
        message = (
            f"Boxes {a} and {b} overlap in frame {f} (3D IoU {iou[k]:.2f} > {limit:.2f} "
            "allowed); two objects cannot share space."
        )
        out.append(finding(ctx, "overlap", frames, (a, b), iou[k], limit,
                           continued(message, frames)))
    return out
