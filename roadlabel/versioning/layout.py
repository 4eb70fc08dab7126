"""Where each thing lives in the versioned dataset (also written up in ``LAYOUT.md``).

One object per sequence segment, so that two batches never edit the same file and lakeFS's
object-level merge only conflicts when two batches really labelled the same segment::

    annotations/<sequence_id>/<first_frame:06d>-<end_frame:06d>.json
        one LabelDocument (schema roadlabel.labels/v1, see roadlabel.labels_json);
        frames [first_frame, end_frame) as in roadlabel.segments.plan_segments
    parquet/boxes/<sequence_id>/<first_frame:06d>-<end_frame:06d>.parquet
    parquet/lanes/<sequence_id>/<first_frame:06d>-<end_frame:06d>.parquet
        the same segment's boxes / lane points as Parquet rows (roadlabel.versioning.columnar)
    manifests/<sequence_id>.json
        SequenceManifest.to_json(): frames with pts, timestamp, sha256, object key + range,
        decoder version, calibration
    exports/<format>/...          files written by roadlabel.exports (one folder per format)
    splits/<split>.txt            sequence ids of train / val / test, one per line, sorted
    cards/dataset_card.json|.md   the dataset card of the latest snapshot
    lineage/<batch_id>.json       per segment of a batch: task id, who annotated, reviewed and
                                  QA-checked it (pseudonymous), model and ontology versions

Annotation JSON is compact with sorted keys and one frame per line; manifests are
``to_json()`` as is; cards are indented. The same labels give the same bytes (idempotent
commits) and git diffs stay readable (a changed frame is a changed line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from roadlabel.labels import LabelDocument
from roadlabel.labels_json import document_from_dict, document_to_dict
from roadlabel.manifest import SequenceManifest
from roadlabel.versioning.base import InvalidName

ANNOTATIONS = "annotations/"
PARQUET_BOXES = "parquet/boxes/"
PARQUET_LANES = "parquet/lanes/"
MANIFESTS = "manifests/"
EXPORTS = "exports/"
SPLITS = "splits/"
CARDS = "cards/"
LINEAGE = "lineage/"
CARD_JSON = CARDS + "dataset_card.json"
CARD_MD = CARDS + "dataset_card.md"

_SEQUENCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ANNOTATION = re.compile(r"^annotations/(?P<seq>[^/]+)/(?P<first>\d{6,})-(?P<end>\d{6,})\.json$")


def check_sequence_id(sequence_id: str) -> str:
    """Return the id if it is usable as one path component; else InvalidName."""
    if not _SEQUENCE_ID.fullmatch(sequence_id) or ".." in sequence_id:
        raise InvalidName(sequence_id, _SEQUENCE_ID.pattern)
    return sequence_id


def annotation_path(doc: LabelDocument) -> str:
    """Path of a document: its sequence and half-open frame range."""
    indices = doc.frame_indices
    end = (max(indices) + 1) if indices else doc.first_frame
    first = min([doc.first_frame, *indices])
    return segment_path(doc.sequence_id, first, end)


def parquet_paths(doc: LabelDocument) -> tuple[str, str]:
    """Paths of a document's boxes and lanes Parquet files: named like its JSON object."""
    name = annotation_path(doc)[len(ANNOTATIONS):-len(".json")] + ".parquet"
    return PARQUET_BOXES + name, PARQUET_LANES + name


def parse_annotation_path(path: str) -> tuple[str, int, int] | None:
    """(sequence_id, first_frame, end_frame) of an annotation path, None for other paths."""
    m = _ANNOTATION.fullmatch(path)
    return (m["seq"], int(m["first"]), int(m["end"])) if m else None


def segment_path(sequence_id: str, first_frame: int, end_frame: int) -> str:
    """Path of the annotation object of a segment [first_frame, end_frame)."""
    return f"{ANNOTATIONS}{check_sequence_id(sequence_id)}/{first_frame:06d}-{end_frame:06d}.json"


def lineage_path(batch_id: str) -> str:
    """Path of a batch's per-segment lineage."""
    return f"{LINEAGE}{check_sequence_id(batch_id)}.json"


def manifest_path(sequence_id: str) -> str:
    """Path of a sequence's manifest."""
    return f"{MANIFESTS}{check_sequence_id(sequence_id)}.json"


def split_path(split: str) -> str:
    """Path of one split list."""
    return f"{SPLITS}{split}.txt"


def dumps(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, two-space indent, trailing newline."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def document_bytes(doc: LabelDocument) -> bytes:
    """The stored form of a label document: compact JSON, sorted keys, one frame per line.

    Compact so that the C encoder does the work (an indented dump runs the pure-Python
    encoder, ~10x slower and 3x larger); one frame per line so diffs stay readable.
    """
    d = document_to_dict(doc)
    frames = d.pop("frames")
    head = _compact(d)
    body = ",\n".join(_compact(f) for f in frames)
    return f'{head[:-1]},"frames":[\n{body}\n]}}\n'.encode()


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def document_from_bytes(data: bytes) -> LabelDocument:
    """Parse a stored label document."""
    return document_from_dict(json.loads(data))


def batch_objects(documents: Iterable[LabelDocument],
                  manifests: Iterable[SequenceManifest]) -> dict[str, bytes]:
    """Every object a batch writes, by path (a later document for the same segment wins).

    Each document gives its JSON object and its two Parquet files.
    """
    from roadlabel.versioning.columnar import boxes_parquet, lanes_parquet  # pyarrow: ~0.3 s

    latest = {annotation_path(d): d for d in documents}
    objects: dict[str, bytes] = {}
    for path, doc in latest.items():
        boxes, lanes = parquet_paths(doc)
        objects[path] = document_bytes(doc)
        objects[boxes] = boxes_parquet(doc)
        objects[lanes] = lanes_parquet(doc)
    for m in manifests:
        objects[manifest_path(m.sequence_id)] = (m.to_json() + "\n").encode()
    return objects
