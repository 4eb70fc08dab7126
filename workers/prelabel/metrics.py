"""Pre-label quality against ground truth: detection AP, CLEAR-MOT, lane F1, annotation effort.

Conventions (documented so the benchmark's numbers can be reproduced):
- Boxes count as ground truth to label when they are within EVAL_RANGE_M (BEV) and, when the
  label carries the synthetic `visible_px` attribute, show at least MIN_VISIBLE_PX pixels.
  Predictions that only match a box too faint or far to count are ignored, not false.
- AP is nuScenes-style: greedy matching by score on BEV centre distance, per class, averaged
  over the thresholds 0.5, 1, 2 and 4 m; precision is interpolated (monotone envelope).
- MOTA = 1 - (FN + FP + IDSW) / GT with per-frame Hungarian matching within 2 m.
- Lanes match when their mean lateral distance over 5..30 m ahead is under 0.5 m.
- Effort counts per-frame annotation actions with ANNOTATION_COSTS_S. A pre-label counts as
  on an object (to adjust, not delete and recreate) within max(2 m, 10 % of the range): a
  depth error of 10 % shifts and scales the drawn box by about 10 % of its image size, so it
  still marks that object in the image. A box of the wrong class on an object is adjusted
  (its class changed), not deleted and recreated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from roadlabel.labels import Box3D, FrameLabels, Lane, wrap_yaw

EVAL_RANGE_M = 50.0
MIN_VISIBLE_PX = 20
AP_THRESHOLDS_M = (0.5, 1.0, 2.0, 4.0)
TRACK_MATCH_M = 2.0
EFFORT_MATCH_PER_M = 0.1
LANE_MATCH_M = 0.5
LANE_SPAN_M = (5.0, 30.0)
ANNOTATION_COSTS_S = {
    "box_create": 23.0, "box_adjust": 8.0, "box_verify": 2.0, "box_delete": 2.0,
    "lane_create": 20.0, "lane_adjust": 6.0, "lane_verify": 2.0, "lane_delete": 2.0,
}
# A pre-labelled box an annotator accepts as it is: centre within this distance (grows with
# range, as the tolerance of a human looking at the image does), size within 15 %, yaw 15 deg.
VERIFY_CENTRE_M, VERIFY_CENTRE_PER_M = 0.5, 0.03
VERIFY_SIZE_REL, VERIFY_YAW_RAD = 0.15, math.radians(15.0)
VERIFY_LANE_M = 0.3


def countable(box: Box3D) -> bool:
    """Whether a ground-truth box is one an annotator must label."""
    visible = int(box.attributes.get("visible_px", str(MIN_VISIBLE_PX)))
    return visible >= MIN_VISIBLE_PX and math.hypot(box.x, box.y) <= EVAL_RANGE_M


def _bev(a: Box3D, b: Box3D) -> float:
    return math.hypot(a.x - b.x, a.y - b.y)


def average_precision(preds: Sequence[FrameLabels], gts: Sequence[FrameLabels],
                      classes: Sequence[str]) -> dict[str, float]:
    """Mean AP over classes and AP_THRESHOLDS_M, plus per-class AP (keys 'ap_<class>')."""
    out: dict[str, float] = {}
    for cls in classes:
        values = [_ap_one(preds, gts, cls, thr) for thr in AP_THRESHOLDS_M]
        out[f"ap_{cls}"] = float(np.mean(values))
    present = [c for c in classes if any(b.category == c and countable(b)
                                         for f in gts for b in f.boxes)]
    out["map"] = float(np.mean([out[f"ap_{c}"] for c in present])) if present else 0.0
    return out


def _ap_one(preds: Sequence[FrameLabels], gts: Sequence[FrameLabels], cls: str,
            thr: float) -> float:
    scored: list[tuple[float, bool]] = []
    n_gt = 0
    for pf, gf in zip(preds, gts, strict=True):
        gt = [b for b in gf.boxes if b.category == cls]
        hard = [b for b in gt if not countable(b)]
        gt = [b for b in gt if countable(b)]
        n_gt += len(gt)
        used = [False] * len(gt)
        for p in sorted((b for b in pf.boxes if b.category == cls), key=lambda b: -b.score):
            if math.hypot(p.x, p.y) > EVAL_RANGE_M + thr:
                continue
            best, best_d = -1, thr
            for i, g in enumerate(gt):
                d = _bev(p, g)
                if not used[i] and d <= best_d:
                    best, best_d = i, d
            if best >= 0:
                used[best] = True
                scored.append((p.score, True))
            elif not any(_bev(p, h) <= thr for h in hard):
                scored.append((p.score, False))
    if n_gt == 0:
        return 0.0
    scored.sort(key=lambda s: -s[0])
    tp = np.cumsum([s[1] for s in scored]) if scored else np.zeros(0)
    precision = tp / np.arange(1, len(scored) + 1) if scored else np.zeros(0)
    recall = tp / n_gt if scored else np.zeros(0)
    envelope = np.maximum.accumulate(precision[::-1])[::-1] if scored else precision
    # Area under the interpolated curve: sum over recall steps.
    prev_r, area = 0.0, 0.0
    for r, p in zip(recall, envelope, strict=True):
        area += (r - prev_r) * p
        prev_r = r
    return float(area)


@dataclass
class MotResult:
    """CLEAR-MOT counts over a sequence."""

    gt: int = 0
    fp: int = 0
    fn: int = 0
    idsw: int = 0
    matches: int = 0

    @property
    def mota(self) -> float:
        """1 - (FN + FP + IDSW) / GT."""
        return 1.0 - (self.fn + self.fp + self.idsw) / self.gt if self.gt else 0.0


def clear_mot(preds: Sequence[FrameLabels], gts: Sequence[FrameLabels],
              min_score: float = 0.0) -> MotResult:
    """CLEAR-MOT over one sequence whose predictions carry sequence-wide track ids."""
    res = MotResult()
    last: dict[str, str] = {}
    for pf, gf in zip(preds, gts, strict=True):
        gt = [b for b in gf.boxes if countable(b)]
        hard = [b for b in gf.boxes if not countable(b)]
        pr = [b for b in pf.boxes if b.score >= min_score]
        pairs = _match_boxes(pr, gt, TRACK_MATCH_M)
        matched_p = {i for i, _ in pairs}
        res.gt += len(gt)
        res.matches += len(pairs)
        res.fn += len(gt) - len(pairs)
        res.fp += sum(1 for i, p in enumerate(pr) if i not in matched_p
                      and not any(_bev(p, h) <= TRACK_MATCH_M for h in hard))
        for i, j in pairs:
            prev = last.get(gt[j].track_id)
            if prev is not None and prev != pr[i].track_id:
                res.idsw += 1
            last[gt[j].track_id] = pr[i].track_id
    return res


def _match_boxes(pr: Sequence[Box3D], gt: Sequence[Box3D], gate: float,
                 gate_per_m: float = 0.0, any_class: bool = False) -> list[tuple[int, int]]:
    if not pr or not gt:
        return []
    # Across classes, a same-class candidate still wins (a small penalty breaks the tie).
    cost = np.array([[_bev(p, g) + (0.0 if p.category == g.category else
                                    (0.25 if any_class else 1e6)) for g in gt] for p in pr])
    limit = np.array([max(gate, gate_per_m * math.hypot(g.x, g.y)) for g in gt])
    rows, cols = linear_sum_assignment(cost)
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True)
            if cost[r, c] <= limit[c]]


def lane_distance(a: Lane, b: Lane) -> float:
    """Mean lateral distance (m) over the common part of LANE_SPAN_M; inf if no overlap."""
    pa, pb = np.asarray(a.points_ego)[:, :2], np.asarray(b.points_ego)[:, :2]
    pa, pb = pa[np.argsort(pa[:, 0])], pb[np.argsort(pb[:, 0])]
    lo = max(LANE_SPAN_M[0], pa[0, 0], pb[0, 0])
    hi = min(LANE_SPAN_M[1], pa[-1, 0], pb[-1, 0])
    if hi - lo < 2.0:
        return math.inf
    xs = np.linspace(lo, hi, 10)
    return float(np.mean(np.abs(np.interp(xs, pa[:, 0], pa[:, 1])
                                - np.interp(xs, pb[:, 0], pb[:, 1]))))


def match_lanes(pred: Sequence[Lane], gt: Sequence[Lane]) -> list[tuple[int, int, float]]:
    """(pred index, gt index, distance) of lanes matched within LANE_MATCH_M."""
    if not pred or not gt:
        return []
    cost = np.array([[lane_distance(p, g) for g in gt] for p in pred])
    finite = np.where(np.isfinite(cost), cost, 1e6)
    rows, cols = linear_sum_assignment(finite)
    return [(int(r), int(c), float(finite[r, c])) for r, c in zip(rows, cols, strict=True)
            if finite[r, c] <= LANE_MATCH_M]


def lane_f1(preds: Sequence[FrameLabels], gts: Sequence[FrameLabels]) -> dict[str, float]:
    """Lane precision, recall, F1 and type accuracy over matched lanes."""
    tp = fp = fn = same_type = 0
    for pf, gf in zip(preds, gts, strict=True):
        gt = [lane for lane in gf.lanes if _lane_in_span(lane)]
        pairs = match_lanes(pf.lanes, gt)
        tp += len(pairs)
        fp += len(pf.lanes) - len(pairs)
        fn += len(gt) - len(pairs)
        same_type += sum(pf.lanes[i].lane_type == gt[j].lane_type for i, j, _ in pairs)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"lane_precision": precision, "lane_recall": recall, "lane_f1": f1,
            "lane_type_accuracy": same_type / tp if tp else 0.0}


def _lane_in_span(lane: Lane) -> bool:
    xs = [p[0] for p in lane.points_ego]
    return bool(xs) and min(xs) <= LANE_SPAN_M[1] - 2.0 and max(xs) >= LANE_SPAN_M[0] + 2.0


def box_acceptable(pred: Box3D, gt: Box3D) -> bool:
    """Whether an annotator would verify this pre-label as it is (see module constants)."""
    tol = VERIFY_CENTRE_M + VERIFY_CENTRE_PER_M * math.hypot(gt.x, gt.y)
    sizes_ok = all(abs(p / g - 1.0) <= VERIFY_SIZE_REL for p, g in
                   ((pred.length, gt.length), (pred.width, gt.width), (pred.height, gt.height)))
    yaw_ok = abs(wrap_yaw(pred.yaw - gt.yaw)) <= VERIFY_YAW_RAD or gt.category == "pedestrian"
    return _bev(pred, gt) <= tol and sizes_ok and yaw_ok


def annotation_effort(preds: Sequence[FrameLabels], gts: Sequence[FrameLabels],
                      min_score: float = 0.0) -> dict[str, float]:
    """Simulated seconds to reach ground truth from scratch and from these pre-labels."""
    c = ANNOTATION_COSTS_S
    scratch = with_pre = 0.0
    actions = dict.fromkeys(c, 0)
    last: dict[str, str] = {}
    for pf, gf in zip(preds, gts, strict=True):
        gt = [b for b in gf.boxes if countable(b)]
        hard = [b for b in gf.boxes if not countable(b)]
        pr = [b for b in pf.boxes if b.score >= min_score]
        gl = [lane for lane in gf.lanes if _lane_in_span(lane)]
        scratch += c["box_create"] * len(gt) + c["lane_create"] * len(gl)
        pairs = _match_boxes(pr, gt, TRACK_MATCH_M, EFFORT_MATCH_PER_M, any_class=True)
        matched = {i for i, _ in pairs}
        for i, j in pairs:
            ok = box_acceptable(pr[i], gt[j]) and pr[i].category == gt[j].category
            switched = last.get(gt[j].track_id, pr[i].track_id) != pr[i].track_id
            last[gt[j].track_id] = pr[i].track_id
            actions["box_verify" if ok and not switched else "box_adjust"] += 1
        actions["box_create"] += len(gt) - len(pairs)
        actions["box_delete"] += sum(1 for i, p in enumerate(pr) if i not in matched
                                     and not any(_bev(p, h) <= TRACK_MATCH_M for h in hard))
        lane_pairs = match_lanes(pf.lanes, gl)
        for i, j, d in lane_pairs:
            ok = d <= VERIFY_LANE_M and pf.lanes[i].lane_type == gl[j].lane_type
            actions["lane_verify" if ok else "lane_adjust"] += 1
        actions["lane_create"] += len(gl) - len(lane_pairs)
        actions["lane_delete"] += len(pf.lanes) - len(lane_pairs)
    with_pre = sum(c[k] * n for k, n in actions.items())
    out: dict[str, float] = {"scratch_s": scratch, "with_prelabels_s": with_pre,
                             "effort_ratio": scratch / with_pre if with_pre else math.inf}
    out.update({f"n_{k}": float(n) for k, n in actions.items()})
    return out
