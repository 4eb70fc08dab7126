"""The inline QA entry points: every temporal and physical check over one label document.

Checks (``Finding.check``), with what ``value`` / ``threshold`` measure:

- ``timestamp_order``: a frame not later than the one before (seconds between them / 0).
- ``duplicate_track_id``: one track ID on two boxes of one frame.
- ``coverage``: a track without a box for 1..``max_gap_frames`` frames (frames missing).
- ``track_gap``: a track that vanishes for more than ``max_gap_frames`` (frames missing).
- ``id_switch``: two tracks swap positions between two frames (jump per box, m).
- ``id_reuse``: a track changes category (1 / 0) or teleports (m/s / teleport speed).
- ``size_change``: length, width or height of one track changes (relative change).
- ``speed``, ``acceleration``, ``yaw_rate``: beyond the class limit (m/s, m/s^2, rad/s).
- ``yaw_flip``: heading turns by about 180 degrees between frames (rad).
- ``overlap``: two boxes share space in one frame (3D IoU).
- ``below_ground``, ``floating``: box bottom outside the ground band (m, ego frame).
- ``lane_jump``: a lane moves sideways between frames (mean distance, m).
- ``lane_id_switch``: a marking changes lane ID between frames (distance, m).
- ``lane_smoothness``: a kink in a lane polyline (turn angle, rad).
- ``lane_crossing``: two lanes cross away from their ends (1 / 0).

Motion is measured between timestamps, never an assumed frame rate. With ego poses the
kinematic checks work in a world frame; without them, on motion relative to the ego, with
the class limits widened by the profile's ego allowances.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from numpy.typing import ArrayLike

from qa.arrays import DocumentArrays, IntArray, document_to_arrays
from qa.context import build_context, step_mask
from qa.findings import Finding, continued
from qa.lanes import check_lanes
from qa.overlap import overlaps
from qa.physics import acceleration, ground, speed, yaw
from qa.profile import DEFAULT_PROFILE, QAProfile
from qa.tracks import duplicates, gaps, id_reuse, id_switches, size_changes, timestamp_order
from roadlabel.labels import LabelDocument


def check_document(
    doc: LabelDocument, profile: QAProfile = DEFAULT_PROFILE,
    ego_poses: ArrayLike | None = None,
) -> list[Finding]:
    """All findings for ``doc``; ``ego_poses`` (x, y, yaw per frame) tightens motion checks."""
    return check_arrays(document_to_arrays(doc, ego_poses), profile)


def check_arrays(arrays: DocumentArrays, profile: QAProfile = DEFAULT_PROFILE) -> list[Finding]:
    """All findings for a document already turned into arrays (see ``document_to_arrays``)."""
    ctx, dup = build_context(arrays, profile)
    # ID problems run first: the steps they explain are not reported again as implausible
    # motion or size, so an annotator sees the cause, not its echoes.
    explained = step_mask(ctx)
    found = timestamp_order(arrays, profile)
    found += duplicates(arrays, profile, dup)
    found += gaps(ctx)
    found += id_switches(ctx, explained)
    found += id_reuse(ctx, explained)
    found += size_changes(ctx, explained)
    found += speed(ctx, explained)
    found += acceleration(ctx, explained)
    found += yaw(ctx, explained)
    found += ground(ctx)
    found += overlaps(ctx)
    found += check_lanes(arrays, profile)
    return merge_runs(found, arrays.frame_index)


def merge_runs(findings: list[Finding], frame_index: IntArray) -> list[Finding]:
    """One finding per run of adjacent frames with the same check and IDs, worst value first."""
    pos = {int(f): i for i, f in enumerate(frame_index)}
    groups: dict[tuple[str, tuple[str, ...]], list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.check, f.track_ids)].append(f)
    out: list[Finding] = []
    for items in groups.values():
        items.sort(key=lambda f: pos.get(f.frames[0], 0))
        run = [items[0]]
        for f in items[1:]:
            if pos.get(f.frames[0], 0) <= pos.get(run[-1].frames[-1], 0) + 1:
                run.append(f)
            else:
                out.append(_merged(run))
                run = [f]
        out.append(_merged(run))
    out.sort(key=lambda f: (pos.get(f.frames[0], 0), f.check, f.track_ids))
    return out


def _merged(run: list[Finding]) -> Finding:
    if len(run) == 1:
        return run[0]
    worst = max(run, key=lambda f: abs(f.value - f.threshold))
    frames = tuple(sorted({fr for f in run for fr in f.frames}))
    return replace(worst, frames=frames, message=continued(worst.message, frames))
