"""Small label documents, manifests and lineage for versioning tests."""

from __future__ import annotations

from typing import Any

from roadlabel.labels import Box3D, Calibration, FrameLabels, LabelDocument, Lane
from roadlabel.manifest import FrameRecord, SequenceManifest, VideoInfo


def document(seq: str, first: int, n: int = 3, category: str = "car",
             x: float = 10.0) -> LabelDocument:
    """A segment of ``n`` frames with one tracked box and one lane per frame."""
    frames = tuple(
        FrameLabels(i, i / 10.0,
                    (Box3D(f"{seq}-t1", category, x + i, 1.0, 0.8, 4.5, 1.9, 1.6, 0.1),),
                    (Lane("l1", "dashed", "white", ((5.0, 1.8, 0.0), (30.0, 1.9, 0.0))),))
        for i in range(first, first + n))
    return LabelDocument(seq, first, frames, ontology_version="ont-3", model_version="m-7")


def manifest(seq: str, n: int = 5, batch: str = "b1") -> SequenceManifest:
    """A manifest of ``n`` frames with fake but well-formed hashes."""
    frames = tuple(FrameRecord(i, i * 100, i / 10.0, f"{i:064x}", f"frames/{seq}.bin",
                               i * 1000, 1000) for i in range(n))
    return SequenceManifest(seq, batch, f"s3://raw/{seq}.mp4", "ab" * 32,
                            VideoInfo("mp4", "h264", 1280, 720, n / 10.0),
                            Calibration.default_for(1280, 720), 10.0, "jpeg", 1280, 720,
                            "av-18", frames)


def lineage(**overrides: Any) -> dict[str, Any]:
    """Lineage figures of a batch that passes the default gates."""
    base: dict[str, Any] = {
        "model_version": "m-7", "ontology_version": "ont-3", "guideline_version": "g-2",
        "qa_profile_version": "qa-1", "annotator_ids": ["p-17", "p-42"],
        "task_ids": ["t1", "t2"], "tasks_total": 2, "tasks_accepted": 2,
        "qa_pass_rate": 0.98, "agreement": 0.91, "cost_per_frame": 0.31,
    }
    base.update(overrides)
    return base
