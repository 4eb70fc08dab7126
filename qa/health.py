"""Dataset health over many label documents, as one JSON-able dict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from qa.findings import Finding
from roadlabel.labels import LabelDocument


def _stats(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    v = np.asarray(values, np.float64)
    return {
        "count": int(v.shape[0]), "mean": float(v.mean()), "std": float(v.std()),
        "min": float(v.min()), "p50": float(np.percentile(v, 50)),
        "p95": float(np.percentile(v, 95)), "max": float(v.max()),
    }


def dataset_health(
    docs: Iterable[LabelDocument], *, findings: Mapping[str, Sequence[Finding]] | None = None,
    agreement: Mapping[str, float] | None = None, rare_fraction: float = 0.01,
    min_examples: int = 100,
) -> dict[str, Any]:
    """Class balance, density, track lengths, rare classes and an estimated label-noise rate.

    ``findings`` maps a sequence ID to its QA findings and ``agreement`` a sequence (or task)
    to its box agreement in [0, 1]; each gives one estimate of the label-noise rate.
    """
    classes: Counter[str] = Counter()
    lane_types: Counter[str] = Counter()
    per_frame: list[float] = []
    lanes_per_frame: list[float] = []
    track_frames: Counter[tuple[str, str]] = Counter()
    class_sequences: dict[str, set[str]] = {}
    n_docs = 0
    for doc in docs:
        n_docs += 1
        for fr in doc.frames:
            per_frame.append(len(fr.boxes))
            lanes_per_frame.append(len(fr.lanes))
            lane_types.update(x.lane_type for x in fr.lanes)
            for b in fr.boxes:
                classes[b.category] += 1
                track_frames[(doc.sequence_id, b.track_id)] += 1
                class_sequences.setdefault(b.category, set()).add(doc.sequence_id)
    n_boxes = sum(classes.values())
    return {
        "documents": n_docs, "frames": len(per_frame), "boxes": n_boxes,
        "tracks": len(track_frames),
        "class_distribution": {
            c: {"count": n, "fraction": n / n_boxes} for c, n in sorted(classes.items())
        },
        "objects_per_frame": _stats(per_frame),
        "lanes_per_frame": _stats(lanes_per_frame),
        "lane_types": dict(sorted(lane_types.items())),
        "track_length_frames": {
            **_stats(list(track_frames.values())),
            "histogram": _histogram(list(track_frames.values())),
        },
        "rare_classes": _rare(classes, class_sequences, n_boxes, rare_fraction, min_examples),
        "label_noise": _noise(findings, agreement, n_boxes),
    }


def _histogram(lengths: list[int]) -> dict[str, int]:
    edges = [1, 2, 5, 10, 20, 50, 100, 200, 500]
    out: dict[str, int] = {}
    for lo, hi in zip(edges, [*edges[1:], None], strict=True):
        label = f"{lo}-{hi - 1}" if hi else f"{lo}+"
        out[label] = sum(1 for n in lengths if n >= lo and (hi is None or n < hi))
    return out


def _rare(
    classes: Counter[str], sequences: dict[str, set[str]], n_boxes: int, rare_fraction: float,
    min_examples: int,
) -> list[dict[str, Any]]:
    return [
        {"class": c, "count": n, "fraction": n / n_boxes, "sequences": len(sequences[c]),
         "short_by": max(0, min_examples - n)}
        for c, n in sorted(classes.items())
        if n / n_boxes < rare_fraction or n < min_examples
    ]


def _noise(
    findings: Mapping[str, Sequence[Finding]] | None, agreement: Mapping[str, float] | None,
    n_boxes: int,
) -> dict[str, Any]:
    """Label-noise estimates: share of box-frames under a blocking finding; 1 - agreement."""
    out: dict[str, Any] = {}
    if findings is not None and n_boxes:
        flagged = {
            (seq, f.frames[i] if i < len(f.frames) else f.frames[-1], tid)
            for seq, found in findings.items() for f in found if f.severity == "blocking"
            for tid in f.track_ids for i in range(len(f.frames))
        }
        out["qa_flagged_box_frames"] = len(flagged)
        out["qa_noise_rate"] = min(1.0, len(flagged) / n_boxes)
    if agreement:
        out["disagreement_rate"] = 1.0 - float(np.mean(list(agreement.values())))
    rates = [v for k, v in out.items() if k.endswith("_rate")]
    out["estimated_noise_rate"] = float(np.mean(rates)) if rates else None
    return out
