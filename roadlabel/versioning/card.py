"""The dataset card of a snapshot: counts, class distribution, health figures (JSON + Markdown).

Pure functions over label documents and batch lineage; the nightly job reads them from
``main`` and writes the result to ``cards/``. Frames shared by overlapping segments are
counted once (the segment that starts first wins), so counts do not depend on the overlap.
Nothing time-dependent goes in the card except the snapshot name, so the same dataset gives
the same bytes and re-running the nightly job commits nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from roadlabel.labels import FrameLabels, LabelDocument

HEALTH_KEYS = ("qa_pass_rate", "agreement", "cost_per_frame")


def unique_frames(documents: Iterable[LabelDocument]) -> dict[tuple[str, int], FrameLabels]:
    """(sequence_id, frame_index) -> labels, each frame once."""
    frames: dict[tuple[str, int], FrameLabels] = {}
    for doc in sorted(documents, key=lambda d: (d.sequence_id, d.first_frame)):
        for f in doc.frames:
            frames.setdefault((doc.sequence_id, f.frame_index), f)
    return frames


def build_card(snapshot: str, documents: Iterable[LabelDocument],
               batches: Mapping[str, Mapping[str, str]],
               splits: Mapping[str, list[str]]) -> dict[str, Any]:
    """The card as a JSON-able dict; ``batches`` maps batch id -> its lineage metadata."""
    docs = list(documents)
    frames = unique_frames(docs)
    boxes = Counter(b.category for f in frames.values() for b in f.boxes)
    lanes = Counter(x.lane_type for f in frames.values() for x in f.lanes)
    tracks = {(seq, b.track_id) for (seq, _), f in frames.items() for b in f.boxes}
    return {
        "schema": "roadlabel.dataset_card/v1",
        "snapshot": snapshot,
        "counts": {
            "sequences": len({d.sequence_id for d in docs}), "segments": len(docs),
            "frames": len(frames), "boxes": sum(boxes.values()), "tracks": len(tracks),
            "lanes": sum(lanes.values()),
        },
        "class_distribution": dict(sorted(boxes.items())),
        "lane_types": dict(sorted(lanes.items())),
        "splits": {name: len(seqs) for name, seqs in splits.items()},
        "health": _health(batches),
        "quality": _quality(frames),
        "batches": {b: {k: m[k] for k in sorted(m) if not k.startswith("roadlabel.")}
                    for b, m in sorted(batches.items())},
    }


def card_markdown(card: Mapping[str, Any]) -> str:
    """The card as Markdown for humans."""
    lines = [f"# Dataset card: {card['snapshot']}", "", "## Counts", "",
             "| what | count |", "| --- | ---: |"]
    lines += [f"| {k} | {v} |" for k, v in card["counts"].items()]
    lines += ["", "## Class distribution (boxes)", "", "| class | boxes | share |",
              "| --- | ---: | ---: |"]
    total = max(1, card["counts"]["boxes"])
    lines += [f"| {c} | {n} | {100.0 * n / total:.1f}% |"
              for c, n in card["class_distribution"].items()]
    lines += ["", "## Splits (by sequence)", "", "| split | sequences |", "| --- | ---: |"]
    lines += [f"| {k} | {v} |" for k, v in card["splits"].items()]
    lines += ["", "## Health (mean over batches)", "", "| figure | value |", "| --- | ---: |"]
    lines += [f"| {k} | {v} |" for k, v in card["health"].items()]
    q = card.get("quality") or {}
    if q:
        density, tracks = q["objects_per_frame"], q["track_length_frames"]
        lines += ["", "## Quality", "",
                  f"Objects per frame: mean {density.get('mean', 0):.2f}, "
                  f"p95 {density.get('p95', 0):.0f}; track length (frames): median "
                  f"{tracks.get('p50', 0):.0f}, max {tracks.get('max', 0):.0f}.",
                  "Rare classes (under 1 % of boxes or 100 examples): "
                  + (", ".join(f"{r['class']} ({r['count']})" for r in q["rare_classes"])
                     or "none") + "."]
    lines += ["", f"Batches: {', '.join(card['batches']) or 'none'}", ""]
    return "\n".join(lines)


def _quality(frames: Mapping[tuple[str, int], FrameLabels]) -> dict[str, Any]:
    """qa.dataset_health over each frame once: density, track lengths, rare classes."""
    from qa.health import dataset_health

    by_seq: dict[str, list[FrameLabels]] = {}
    for (seq, _), f in sorted(frames.items()):
        by_seq.setdefault(seq, []).append(f)
    docs = [LabelDocument(seq, fs[0].frame_index, tuple(fs)) for seq, fs in by_seq.items()]
    health = dataset_health(docs)
    return {k: health[k] for k in ("objects_per_frame", "lanes_per_frame",
                                   "track_length_frames", "rare_classes")}


def _health(batches: Mapping[str, Mapping[str, str]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in HEALTH_KEYS:
        values = []
        for meta in batches.values():
            try:
                values.append(float(meta[key]))
            except (KeyError, ValueError):
                continue
        out[key] = round(sum(values) / len(values), 6) if values else None
    return out
