"""Per-observation and per-step arrays shared by the track and physics checks.

An observation is one box of one track in one frame. A step joins two consecutive
observations of the same track. Boxes move into the world frame when ego poses are known;
otherwise motion is relative to the ego and the class limits widen by the ego allowances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa.arrays import BoolArray, DocumentArrays, FloatArray, IntArray
from qa.findings import Finding
from qa.profile import QAProfile


def wrap(angle: FloatArray) -> FloatArray:
    """Angles wrapped into [-pi, pi)."""
    return np.asarray(np.remainder(angle + np.pi, 2.0 * np.pi) - np.pi)


@dataclass(frozen=True, eq=False)
class TrackContext:
    """Observations sorted by (track, frame), one per track and frame, and their steps."""

    arrays: DocumentArrays
    profile: QAProfile
    frame: IntArray
    track: IntArray
    category: IntArray
    xy: FloatArray  # world frame when ego poses are known
    z: FloatArray
    lwh: FloatArray
    yaw: FloatArray  # world frame when ego poses are known
    range_m: FloatArray  # distance from the ego, in the ego frame
    t: FloatArray
    step: IntArray  # index of each step's first observation; the second is step + 1
    dt: FloatArray
    disp: FloatArray
    dist: FloatArray
    dyaw: FloatArray
    max_speed: FloatArray  # per observation, widened without ego poses
    max_accel: FloatArray
    max_yaw_rate: FloatArray
    size_tol: FloatArray

    def track_id_of(self, obs: int) -> str:
        """The track ID of an observation."""
        return self.arrays.track_ids[int(self.track[obs])]

    def frame_of(self, obs: int) -> int:
        """The frame index of an observation."""
        return int(self.arrays.frame_index[self.frame[obs]])

    def category_of(self, obs: int) -> str:
        """The category of an observation."""
        return self.arrays.categories[int(self.category[obs])]


def build_context(arrays: DocumentArrays, profile: QAProfile) -> tuple[TrackContext, IntArray]:
    """The context of ``arrays`` and the indices (into ``arrays.boxes``) of duplicate boxes."""
    b = arrays.boxes
    dup = np.zeros(len(b), np.bool_)
    if len(b) > 1:
        dup[1:] = (b.track[1:] == b.track[:-1]) & (b.frame[1:] == b.frame[:-1])
    if dup.any():
        keep = np.flatnonzero(~dup)
        frame, track, category = b.frame[keep], b.track[keep], b.category[keep]
        xyz, lwh, yaw = b.xyz[keep], b.lwh[keep], b.yaw[keep]
    else:  # the usual case: no copies
        frame, track, category, xyz, lwh, yaw = b.frame, b.track, b.category, b.xyz, b.lwh, b.yaw
    xy = xyz[:, :2]
    range_m = np.hypot(xy[:, 0], xy[:, 1])
    if arrays.ego_poses is not None:
        xy, yaw = _to_world(xy, yaw, arrays.ego_poses[frame])
    t = arrays.timestamp_s[frame]
    step = np.flatnonzero(track[1:] == track[:-1])
    dt = t[step + 1] - t[step]
    disp = xy[step + 1] - xy[step]
    limits = _limits(arrays, profile, category)
    ctx = TrackContext(
        arrays, profile, frame, track, category, xy, xyz[:, 2], lwh, yaw,
        range_m, t, step, dt, disp, np.hypot(disp[:, 0], disp[:, 1]),
        wrap(yaw[step + 1] - yaw[step]), *limits,
    )
    return ctx, np.flatnonzero(dup)


def _to_world(
    xy: FloatArray, yaw: FloatArray, ego: FloatArray
) -> tuple[FloatArray, FloatArray]:
    c, s = np.cos(ego[:, 2]), np.sin(ego[:, 2])
    wx = ego[:, 0] + c * xy[:, 0] - s * xy[:, 1]
    wy = ego[:, 1] + s * xy[:, 0] + c * xy[:, 1]
    # Yaw stays unwrapped: every consumer wraps differences or takes cos/sin.
    return np.stack([wx, wy], axis=1), yaw + ego[:, 2]


def _limits(
    arrays: DocumentArrays, profile: QAProfile, category: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    table = np.array(
        [
            [lim.max_speed_mps, lim.max_accel_mps2, lim.max_yaw_rate_rps, lim.size_tolerance]
            for lim in (profile.limits_for(c) for c in arrays.categories)
        ],
        np.float64,
    ).reshape(-1, 4)
    if arrays.ego_poses is None:
        table[:, 0] += profile.ego_speed_allowance_mps
        table[:, 1] += profile.ego_accel_allowance_mps2
        table[:, 2] += profile.ego_yaw_rate_allowance_rps
    per_obs = table[category]
    return per_obs[:, 0], per_obs[:, 1], per_obs[:, 2], per_obs[:, 3]


def step_mask(ctx: TrackContext) -> BoolArray:
    """A fresh all-False mask over steps (e.g. steps explained by an ID problem)."""
    return np.zeros(ctx.step.shape[0], np.bool_)


def finding(
    ctx: TrackContext, check: str, frames: tuple[int, ...], tracks: tuple[str, ...],
    value: float, threshold: float, message: str,
) -> Finding:
    """A finding with the profile's severity for ``check``."""
    return Finding(
        check, ctx.profile.severity_of(check), frames, tracks, float(value), float(threshold),
        message,
    )
