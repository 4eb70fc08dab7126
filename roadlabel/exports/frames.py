"""Flattening label documents into sequences of unique frames, and back.

Segments overlap; an export writes each frame once (the segment that starts first wins, as
in the dataset card). Importers return one document per sequence covering all its frames.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from roadlabel.labels import FrameLabels, LabelDocument

Sequences = dict[str, list[FrameLabels]]


def by_sequence(documents: Iterable[LabelDocument]) -> Sequences:
    """sequence id -> its unique frames sorted by index."""
    frames: dict[str, dict[int, FrameLabels]] = defaultdict(dict)
    for doc in sorted(documents, key=lambda d: (d.sequence_id, d.first_frame)):
        for f in doc.frames:
            frames[doc.sequence_id].setdefault(f.frame_index, f)
    return {seq: [fs[i] for i in sorted(fs)] for seq, fs in sorted(frames.items())}


def to_documents(sequences: Sequences, ontology_version: str = "",
                 model_version: str = "") -> list[LabelDocument]:
    """One document per sequence (what importers return)."""
    return [LabelDocument(seq, frames[0].frame_index if frames else 0, tuple(frames),
                          ontology_version, model_version)
            for seq, frames in sorted(sequences.items())]


def image_name(sequence_id: str, frame_index: int, ext: str = "jpg") -> str:
    """The image path every 2D format refers to: ``<sequence>/<index:06d>.<ext>``."""
    return f"{sequence_id}/{frame_index:06d}.{ext}"
