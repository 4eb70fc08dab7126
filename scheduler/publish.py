"""Publishing a batch's accepted labels to the versioned dataset, with their lineage.

Accepted documents are stitched per sequence into sequence-wide track ids through the
overlap frames, then committed with the lineage the nightly gates and training teams read:
model, ontology, guideline and QA-profile versions, pseudonymous annotator ids, task ids,
review pass rate, inter-annotator agreement and cost per frame.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import asyncpg

from roadlabel.labels import LabelDocument
from roadlabel.labels_json import document_from_dict
from roadlabel.manifest import SequenceManifest
from scheduler.db import connection
from scheduler.queries import q

#: Reads the manifest of a sequence from the object store.
ManifestReader = Callable[[str], SequenceManifest]


@dataclass(frozen=True)
class BatchExport:
    """Everything publish_batch needs, gathered from the database."""

    documents: list[LabelDocument]
    lineage: dict[str, Any]
    sequences: list[str]


def pseudonym(user_id: str, salt: str = "roadlabel") -> str:
    """A stable pseudonymous annotator id: lineage never carries real user names."""
    return "ann-" + hashlib.sha256(f"{salt}:{user_id}".encode()).hexdigest()[:10]


async def gather(pool: asyncpg.Pool, batch_id: str, qa_profile_version: str) -> BatchExport:
    """Accepted, stitched documents of a batch and its lineage figures."""
    async with connection(pool) as conn:
        rows = [dict(r) for r in await conn.fetch(q("publish_accepted"), batch_id)]
        totals = await conn.fetchrow(q("publish_task_totals"), batch_id)
        verdicts = await conn.fetchrow(q("publish_verdicts"), batch_id)
        doubles = [dict(r) for r in await conn.fetch(q("publish_double_annotations"), batch_id)]
        cost = float(await conn.fetchval(q("publish_cost"), batch_id))
    documents = stitch_by_sequence(rows)
    frames = len({(r["sequence_id"], i) for r in rows
                  for i in range(r["first_frame"], r["end_frame"])})
    reviewed = int(verdicts["approved"]) + int(verdicts["rejected"])
    lineage = {
        "model_version": ",".join(sorted({r["model_version"] for r in rows if r["model_version"]})),
        "ontology_version": ",".join(sorted({r["ontology_version"] for r in rows})),
        "guideline_version": ",".join(sorted({r["guideline_version"] for r in rows})),
        "qa_profile_version": qa_profile_version,
        "annotator_ids": sorted({pseudonym(r["annotated_by"]) for r in rows if r["annotated_by"]}),
        "task_ids": [r["task_id"] for r in rows],
        "tasks_total": int(totals["total"]),
        "tasks_accepted": int(totals["accepted"]),
        "qa_pass_rate": int(verdicts["approved"]) / reviewed if reviewed else 1.0,
        "agreement": agreement(doubles),
        "cost_per_frame": cost / frames if frames else 0.0,
    }
    return BatchExport(documents, lineage, sorted({r["sequence_id"] for r in rows}))


def stitch_by_sequence(rows: list[dict[str, Any]]) -> list[LabelDocument]:
    """Documents with sequence-wide track ids, stitched through each run of neighbours."""
    from workers.tracking import stitch_segments

    by_seq: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_seq[r["sequence_id"]].append(r)
    out: list[LabelDocument] = []
    for seq, items in sorted(by_seq.items()):
        docs = [_document(r) for r in sorted(items, key=lambda r: r["first_frame"])]
        overlap = max((r["overlap"] for r in items), default=0)
        for run in _contiguous(docs):
            stitched = stitch_segments(run, overlap)
            out.extend(replace(d, sequence_id=seq) for d in stitched)
    return out


def _document(r: dict[str, Any]) -> LabelDocument:
    doc = document_from_dict(r["document"])
    return replace(doc, sequence_id=r["sequence_id"], first_frame=r["first_frame"],
                   ontology_version=r["ontology_version"],
                   model_version=r["model_version"] or doc.model_version)


def _contiguous(docs: list[LabelDocument]) -> list[list[LabelDocument]]:
    """Split into runs whose neighbours share frames (a missing segment breaks a run)."""
    runs: list[list[LabelDocument]] = []
    for doc in docs:
        if runs and runs[-1][-1].frames and doc.frames and (
                set(runs[-1][-1].frame_indices) & set(doc.frame_indices)):
            runs[-1].append(doc)
        else:
            runs.append([doc])
    return runs


def agreement(doubles: list[dict[str, Any]]) -> float | None:
    """Mean box agreement over doubly-annotated tasks (None when there were none)."""
    from qa.agreement import document_agreement

    scores = []
    for _task, group in itertools.groupby(doubles, key=lambda r: r["task_id"]):
        docs = [document_from_dict(r["document"]) for r in group]
        if len(docs) >= 2:
            scores.append(document_agreement(docs[0], docs[1]).box_agreement)
    return sum(scores) / len(scores) if scores else None


def publish(vs: Any, batch_id: str, export: BatchExport, read_manifest: ManifestReader) -> list[str]:
    """Commit the export to the batch branch; idempotent (blocking: run it in a thread)."""
    from roadlabel.versioning import publish_batch

    manifests = [read_manifest(seq) for seq in export.sequences]
    lineage = {k: v for k, v in export.lineage.items() if v is not None}
    ids: list[str] = publish_batch(vs, batch_id, export.documents, manifests, lineage)
    return ids
