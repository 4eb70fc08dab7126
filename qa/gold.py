"""Annotator accuracy against a gold (expert) label document of the same frames."""

from __future__ import annotations

from dataclasses import dataclass

from qa.agreement import match_boxes, match_lanes
from roadlabel.labels import LabelDocument

# Weights of the parts of the single gold score; parts with nothing to measure drop out.
DEFAULT_WEIGHTS = {"detection": 0.4, "classes": 0.2, "tracks": 0.2, "lanes": 0.2}


@dataclass(frozen=True)
class GoldScore:
    """How one annotation compares with gold; ``score`` is in [0, 1]."""

    frames: int
    precision: float
    recall: float
    detection_f1: float
    class_accuracy: float
    id_switches: int
    track_consistency: float
    lane_precision: float
    lane_recall: float
    lane_mean_distance_m: float
    score: float


@dataclass
class _Tally:
    tp: int = 0
    n_doc: int = 0
    n_gold: int = 0
    same_class: int = 0
    id_switches: int = 0
    lane_tp: int = 0
    lane_doc: int = 0
    lane_gold: int = 0
    lane_dist: float = 0.0


def score_against_gold(
    doc: LabelDocument, gold: LabelDocument, *, distance_m: float = 2.0,
    lane_distance_m: float = 0.5, weights: dict[str, float] | None = None,
) -> GoldScore:
    """Detection precision/recall at ``distance_m``, class accuracy, ID switches, lanes."""
    gold_frames = {f.frame_index: f for f in gold.frames}
    t = _Tally()
    last_id: dict[str, str] = {}  # gold track -> annotator track it last matched
    frames = 0
    for fr in doc.frames:
        g = gold_frames.get(fr.frame_index)
        if g is None:
            continue
        frames += 1
        matches = match_boxes(fr.boxes, g.boxes, by="distance", max_distance_m=distance_m)
        t.tp += len(matches)
        t.n_doc += len(fr.boxes)
        t.n_gold += len(g.boxes)
        for m in matches:
            ours, theirs = fr.boxes[m.a], g.boxes[m.b]
            t.same_class += ours.category == theirs.category
            previous = last_id.get(theirs.track_id)
            t.id_switches += previous is not None and previous != ours.track_id
            last_id[theirs.track_id] = ours.track_id
        lanes = match_lanes(fr.lanes, g.lanes, max_distance_m=lane_distance_m)
        t.lane_tp += len(lanes)
        t.lane_doc += len(fr.lanes)
        t.lane_gold += len(g.lanes)
        t.lane_dist += sum(x[2] for x in lanes)
    return _score(t, frames, weights or DEFAULT_WEIGHTS)


def _ratio(num: float, den: float) -> float:
    return num / den if den else 1.0


def _score(t: _Tally, frames: int, weights: dict[str, float]) -> GoldScore:
    precision, recall = _ratio(t.tp, t.n_doc), _ratio(t.tp, t.n_gold)
    f1 = _ratio(2 * t.tp, t.n_doc + t.n_gold)
    class_acc = _ratio(t.same_class, t.tp)
    consistency = 1.0 - _ratio(t.id_switches, t.tp) if t.tp else 1.0
    lane_p, lane_r = _ratio(t.lane_tp, t.lane_doc), _ratio(t.lane_tp, t.lane_gold)
    lane_f1 = _ratio(2 * t.lane_tp, t.lane_doc + t.lane_gold)
    parts = {"detection": (f1, t.n_doc + t.n_gold > 0), "classes": (class_acc, t.tp > 0),
             "tracks": (consistency, t.tp > 0), "lanes": (lane_f1, t.lane_doc + t.lane_gold > 0)}
    used = {k: w for k, w in weights.items() if parts.get(k, (0.0, False))[1] and w > 0}
    total = sum(used.values())
    score = sum(parts[k][0] * w for k, w in used.items()) / total if total else 1.0
    return GoldScore(
        frames, precision, recall, f1, class_acc, t.id_switches, consistency, lane_p, lane_r,
        t.lane_dist / t.lane_tp if t.lane_tp else 0.0, min(max(score, 0.0), 1.0),
    )
