"""Inter-annotator agreement: matched boxes and lanes, box IoU, Cohen's and Fleiss' kappa."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from qa.arrays import FloatArray, IntArray
from qa.geometry import bev_iou, iou_3d
from qa.polylines import mean_distance, resample
from roadlabel.labels import Box3D, LabelDocument, Lane

_NO_MATCH = 1e6  # assignment cost of a pair that may not match


@dataclass(frozen=True)
class BoxMatch:
    """Box ``a`` of the first annotation matched to box ``b`` of the second."""

    a: int
    b: int
    iou: float  # 3D IoU
    distance_m: float  # centre distance


@dataclass(frozen=True)
class FrameAgreement:
    """How two annotations of one frame agree."""

    matches: tuple[BoxMatch, ...]
    only_a: int
    only_b: int
    mean_iou: float  # over matched boxes; 0 when nothing matched
    agreement: float  # summed IoU over matched + unmatched boxes; 1 when both are empty
    classes: tuple[tuple[str, str], ...]  # (category in a, category in b) of each match


@dataclass(frozen=True)
class LaneAgreement:
    """How two sets of lanes of one frame (or summed over frames) agree."""

    matched: int
    only_a: int
    only_b: int
    mean_distance_m: float  # over matched lanes; 0 when nothing matched
    f1: float  # 1 when both are empty


def _assign(cost: FloatArray) -> tuple[IntArray, IntArray]:
    """Minimum-cost one-to-one assignment (Hungarian)."""
    # Imported here: scipy.optimize takes a second to import, and inline QA never needs it.
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(cost)
    return np.asarray(rows, np.intp), np.asarray(cols, np.intp)


def _all_pairs(n_a: int, n_b: int) -> tuple[IntArray, IntArray]:
    """Row-major indices of every (a, b) pair."""
    return np.repeat(np.arange(n_a), n_b), np.tile(np.arange(n_b), n_a)


def _box_columns(boxes: Sequence[Box3D]) -> tuple[FloatArray, FloatArray, FloatArray]:
    v = np.array(
        [(b.x, b.y, b.z, b.length, b.width, b.height, b.yaw) for b in boxes], np.float64
    ).reshape(-1, 7)
    return v[:, 0:3], v[:, 3:6], v[:, 6]


def match_boxes(
    a: Sequence[Box3D], b: Sequence[Box3D], *, by: Literal["iou", "distance"] = "iou",
    min_iou: float = 0.1, max_distance_m: float = 2.0,
) -> list[BoxMatch]:
    """One-to-one matches (Hungarian) by bird's-eye-view IoU or by centre distance."""
    if not a or not b:
        return []
    (xa, sa, ya), (xb, sb, yb) = _box_columns(a), _box_columns(b)
    ia, ib = _all_pairs(len(a), len(b))
    dist = np.linalg.norm(xa[ia, :2] - xb[ib, :2], axis=1)
    if by == "iou":
        score = bev_iou(xa[ia, :2], sa[ia, :2], ya[ia], xb[ib, :2], sb[ib, :2], yb[ib])
        allowed = score >= min_iou
        cost = np.where(allowed, 1.0 - score, _NO_MATCH)
    else:
        allowed = dist <= max_distance_m
        cost = np.where(allowed, dist, _NO_MATCH)
    rows, cols = _assign(cost.reshape(len(a), len(b)))
    flat = rows * len(b) + cols
    keep = allowed[flat]
    rows, cols, flat = rows[keep], cols[keep], flat[keep]
    ious = iou_3d(xa[rows], sa[rows], ya[rows], xb[cols], sb[cols], yb[cols])
    return [
        BoxMatch(int(r), int(c), float(i), float(dist[f]))
        for r, c, i, f in zip(rows, cols, ious, flat, strict=True)
    ]


def frame_agreement(
    a: Sequence[Box3D], b: Sequence[Box3D], *, min_iou: float = 0.1
) -> FrameAgreement:
    """Box agreement of two annotations of the same frame."""
    matches = tuple(match_boxes(a, b, min_iou=min_iou))
    only_a, only_b = len(a) - len(matches), len(b) - len(matches)
    total_iou = sum(m.iou for m in matches)
    denom = len(matches) + only_a + only_b
    return FrameAgreement(
        matches, only_a, only_b, total_iou / len(matches) if matches else 0.0,
        total_iou / denom if denom else 1.0,
        tuple((a[m.a].category, b[m.b].category) for m in matches),
    )


def _kappa(p_observed: float, p_expected: float) -> float:
    if p_expected >= 1.0:  # one category only: agreement is perfect or undefined
        return 1.0 if p_observed >= 1.0 else 0.0
    return (p_observed - p_expected) / (1.0 - p_expected)


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa of two raters' labels for the same items."""
    if len(a) != len(b):
        raise ValueError("cohen_kappa needs one label from each rater per item")
    if not a:
        raise ValueError("cohen_kappa needs at least one item")
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in ca) / (n * n)
    return _kappa(observed, expected)


def fleiss_kappa(items: Sequence[Sequence[str]]) -> float:
    """Fleiss' kappa: each item lists the labels its raters gave (same number per item)."""
    if not items:
        raise ValueError("fleiss_kappa needs at least one item")
    raters = len(items[0])
    if raters < 2 or any(len(i) != raters for i in items):
        raise ValueError("fleiss_kappa needs the same number (>= 2) of ratings per item")
    cats = sorted({c for item in items for c in item})
    counts = np.array([[Counter(item)[c] for c in cats] for item in items], np.float64)
    per_item = ((counts * counts).sum(axis=1) - raters) / (raters * (raters - 1))
    shares = counts.sum(axis=0) / (len(items) * raters)
    return _kappa(float(per_item.mean()), float((shares * shares).sum()))


def _lane_distances(a: Sequence[Lane], b: Sequence[Lane]) -> FloatArray:
    """Symmetric mean distance between every lane of a and every lane of b (inf: no overlap)."""
    pts_a, _ = resample(*_lane_vertices(a))
    pts_b, _ = resample(*_lane_vertices(b))
    ia, ib = _all_pairs(len(a), len(b))
    d = (mean_distance(pts_a[ia], pts_b[ib]) + mean_distance(pts_b[ib], pts_a[ia])) / 2
    return np.where(np.isfinite(d), d, np.inf).reshape(len(a), len(b))


def _lane_vertices(lanes: Sequence[Lane]) -> tuple[FloatArray, IntArray]:
    n_max = max((len(x.points_ego) for x in lanes), default=2)
    verts = np.full((len(lanes), max(n_max, 2), 2), np.nan)
    counts = np.zeros(len(lanes), np.intp)
    for i, x in enumerate(lanes):
        if x.points_ego:
            verts[i, : len(x.points_ego)] = np.asarray(x.points_ego, np.float64)[:, :2]
            counts[i] = len(x.points_ego)
    return verts, counts


def match_lanes(
    a: Sequence[Lane], b: Sequence[Lane], *, max_distance_m: float = 0.5
) -> list[tuple[int, int, float]]:
    """One-to-one lane matches (a index, b index, mean lateral distance) within a distance."""
    if not a or not b:
        return []
    d = _lane_distances(a, b)
    allowed = d <= max_distance_m
    rows, cols = _assign(np.where(allowed, d, _NO_MATCH))
    return [(int(r), int(c), float(d[r, c])) for r, c in zip(rows, cols, strict=True)
            if allowed[r, c]]


def lane_agreement(
    a: Sequence[Lane], b: Sequence[Lane], *, max_distance_m: float = 0.5
) -> LaneAgreement:
    """Lane agreement of two annotations of the same frame: matched count, distance, F1."""
    matches = match_lanes(a, b, max_distance_m=max_distance_m)
    return _lane_summary(len(matches), len(a), len(b), sum(m[2] for m in matches))


def _lane_summary(matched: int, n_a: int, n_b: int, total_dist: float) -> LaneAgreement:
    f1 = 2 * matched / (n_a + n_b) if n_a + n_b else 1.0
    return LaneAgreement(
        matched, n_a - matched, n_b - matched, total_dist / matched if matched else 0.0, f1
    )


@dataclass(frozen=True)
class DocumentAgreement:
    """Agreement of two annotations of the same frames, summed over their common frames."""

    frames: int
    box_agreement: float
    mean_iou: float
    class_kappa: float
    class_pairs: tuple[tuple[str, str], ...]
    lanes: LaneAgreement


def document_agreement(a: LabelDocument, b: LabelDocument) -> DocumentAgreement:
    """Box, class and lane agreement over the frames both documents label."""
    frames_b = {f.frame_index: f for f in b.frames}
    common = [(fa, frames_b[fa.frame_index]) for fa in a.frames if fa.frame_index in frames_b]
    iou_sum, denom, matched = 0.0, 0, 0
    classes: list[tuple[str, str]] = []
    lane_counts = np.zeros(4)
    for fa, fb in common:
        fr = frame_agreement(fa.boxes, fb.boxes)
        iou_sum += fr.mean_iou * len(fr.matches)
        matched += len(fr.matches)
        denom += len(fr.matches) + fr.only_a + fr.only_b
        classes.extend(fr.classes)
        la = lane_agreement(fa.lanes, fb.lanes)
        lane_counts += (la.matched, len(fa.lanes), len(fb.lanes), la.mean_distance_m * la.matched)
    kappa = cohen_kappa([c[0] for c in classes], [c[1] for c in classes]) if classes else 1.0
    return DocumentAgreement(
        len(common), iou_sum / denom if denom else 1.0, iou_sum / matched if matched else 0.0,
        kappa, tuple(classes),
        _lane_summary(int(lane_counts[0]), int(lane_counts[1]), int(lane_counts[2]),
                      float(lane_counts[3])),
    )


@dataclass(frozen=True)
class AnnotatorAgreement:
    """One annotator's mean agreement with every other annotator of the same document."""

    annotator: str
    box_agreement: float
    class_kappa: float
    lane_f1: float
    score: float  # mean of the three, in [0, 1] (negative kappa counts as 0)


def annotator_agreement(annotations: Mapping[str, LabelDocument]) -> dict[str, AnnotatorAgreement]:
    """Per-annotator agreement from several annotations (annotator -> document) of one task."""
    names = sorted(annotations)
    sums: dict[str, np.ndarray] = {n: np.zeros(3) for n in names}
    for x, y in itertools.combinations(names, 2):
        d = document_agreement(annotations[x], annotations[y])
        row = np.array([d.box_agreement, d.class_kappa, d.lanes.f1])
        sums[x] += row
        sums[y] += row
    out = {}
    for n in names:
        box, kappa, lane = sums[n] / max(len(names) - 1, 1)
        score = (box + max(kappa, 0.0) + lane) / 3
        out[n] = AnnotatorAgreement(n, float(box), float(kappa), float(lane), float(score))
    return out


def group_class_kappa(annotations: Mapping[str, LabelDocument]) -> float:
    """Fleiss' kappa of object classes over objects that every annotator labelled.

    Objects are identified by matching every annotator's boxes to the first annotator's (in
    name order), frame by frame; an object counts once all annotators have a match for it.
    """
    names = sorted(annotations)
    if len(names) < 2:
        raise ValueError("group_class_kappa needs at least two annotators")
    ref = annotations[names[0]]
    others = [{f.frame_index: f for f in annotations[n].frames} for n in names[1:]]
    items: list[list[str]] = []
    for frame in ref.frames:
        if not all(frame.frame_index in o for o in others):
            continue
        labels: dict[int, list[str]] = {i: [b.category] for i, b in enumerate(frame.boxes)}
        for o in others:
            theirs = o[frame.frame_index].boxes
            found = {m.a: theirs[m.b].category for m in match_boxes(frame.boxes, theirs)}
            for i in list(labels):
                if i in found:
                    labels[i].append(found[i])
                else:
                    del labels[i]
        items.extend(labels.values())
    return fleiss_kappa(items) if items else 1.0
