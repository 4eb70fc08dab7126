"""Publishing a batch's accepted labels to the versioned dataset, with their lineage.

Accepted documents are stitched per sequence into sequence-wide track ids through the
overlap frames, then committed with the lineage the nightly gates and training teams read:
model, ontology, guideline and QA-profile versions, pseudonymous annotator ids, task ids,
review pass rate, inter-annotator agreement (and on how many doubly-annotated tasks) and cost
per frame.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg

from roadlabel.errors import UserError
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
    segments: list[dict[str, Any]] = field(default_factory=list)  # per-task lineage


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
        people = _people_by_task(await conn.fetch(q("publish_people"), batch_id))
    documents = stitch_by_sequence(rows)
    frames = len({(r["sequence_id"], i) for r in rows
                  for i in range(r["first_frame"], r["end_frame"])})
    reviewed = int(verdicts["approved"]) + int(verdicts["rejected"])
    lineage = {
        "model_version": ",".join(sorted({r["model_version"] for r in rows if r["model_version"]})),
        "ontology_version": ",".join(sorted({r["ontology_version"] for r in rows})),
        "guideline_version": ",".join(sorted({r["guideline_version"] for r in rows})),
        "qa_profile_version": qa_profile_version,
        "annotator_ids": sorted({a for p in people.values() for a in p["annotators"]}),
        "task_ids": [r["task_id"] for r in rows],
        "tasks_total": int(totals["total"]),
        "tasks_accepted": int(totals["accepted"]),
        "qa_pass_rate": int(verdicts["approved"]) / reviewed if reviewed else 1.0,
        "agreement": agreement(doubles),
        "double_annotated_tasks": len(_doubly_annotated(doubles)),
        "cost_per_frame": cost / frames if frames else 0.0,
    }
    segments = [_segment_lineage(r, people.get(r["task_id"], {})) for r in rows]
    return BatchExport(documents, lineage, sorted({r["sequence_id"] for r in rows}), segments)


def _people_by_task(rows: list[Any]) -> dict[str, dict[str, list[str]]]:
    """task id -> pseudonyms of who submitted at each stage, first submission first."""
    out: dict[str, dict[str, list[str]]] = defaultdict(
        lambda: {"annotators": [], "reviewers": [], "qa": []})
    role = {"annotate": "annotators", "review": "reviewers", "qa": "qa"}
    for r in rows:
        names = out[r["task_id"]][role.get(r["stage"], "annotators")]
        if pseudonym(r["user_id"]) not in names:
            names.append(pseudonym(r["user_id"]))
    return dict(out)


def _segment_lineage(row: dict[str, Any], people: dict[str, list[str]]) -> dict[str, Any]:
    """What the dataset records about one accepted segment, beside its labels."""
    from roadlabel.versioning.layout import segment_path

    return {"path": segment_path(row["sequence_id"], row["first_frame"], row["end_frame"]),
            "task_id": row["task_id"], "model_version": row["model_version"] or "",
            "ontology_version": row["ontology_version"],
            "annotators": people.get("annotators", []), "reviewers": people.get("reviewers", []),
            "qa": people.get("qa", [])}


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

    scores = [document_agreement(docs[0], docs[1]).box_agreement
              for docs in _doubly_annotated(doubles)]
    return sum(scores) / len(scores) if scores else None


def _doubly_annotated(doubles: list[dict[str, Any]]) -> list[list[LabelDocument]]:
    """The annotations of each task annotated at least twice, in submission order."""
    groups = ([document_from_dict(r["document"]) for r in group]
              for _task, group in itertools.groupby(doubles, key=lambda r: r["task_id"]))
    return [docs for docs in groups if len(docs) >= 2]


def publish(vs: Any, batch_id: str, export: BatchExport, read_manifest: ManifestReader) -> list[str]:
    """Commit the export (labels, manifests, per-segment lineage) to the batch branch;
    idempotent (blocking: run it in a thread)."""
    from roadlabel.versioning import publish_objects
    from roadlabel.versioning.layout import batch_objects, dumps, lineage_path

    manifests = [read_manifest(seq) for seq in export.sequences]
    lineage = {k: v for k, v in export.lineage.items() if v is not None}
    objects = batch_objects(export.documents, manifests)
    objects[lineage_path(batch_id)] = dumps({"batch_id": batch_id, **lineage,
                                             "segments": export.segments})
    ids: list[str] = publish_objects(vs, batch_id, objects, lineage)
    return ids


@dataclass
class PublishOutcome:
    """What publishing one batch did."""

    batch_id: str
    tasks_accepted: int = 0
    tasks_total: int = 0
    commits: list[str] = field(default_factory=list)
    up_to_date: bool = False  # the branch head already records this state: nothing read
    error: str = ""


async def complete_batches(pool: asyncpg.Pool) -> list[str]:
    """Batches whose every task (gold aside) is accepted."""
    async with connection(pool) as conn:
        return [r["batch_id"] for r in await conn.fetch(q("publish_complete_batches"))]


async def publish_batches(pool: asyncpg.Pool, vs: Any, batch_ids: list[str],
                          read_manifest: ManifestReader, qa_profile_version: str
                          ) -> list[PublishOutcome]:
    """Publish each batch's accepted labels to its branch; one batch failing stops no other.

    A batch whose branch head already records its current counts (acceptance is final, so
    nothing can have changed) is reported up to date without reading its labels.
    """
    outcomes = []
    for batch_id in batch_ids:
        outcome = PublishOutcome(batch_id)
        try:
            await _publish_one(pool, vs, outcome, read_manifest, qa_profile_version)
        except UserError as exc:
            outcome.error = exc.line().removeprefix("error: ")
        outcomes.append(outcome)
    return outcomes


async def _publish_one(pool: asyncpg.Pool, vs: Any, outcome: PublishOutcome,
                       read_manifest: ManifestReader, qa_profile_version: str) -> None:
    async with connection(pool) as conn:
        totals = await conn.fetchrow(q("publish_task_totals"), outcome.batch_id)
    outcome.tasks_total, outcome.tasks_accepted = int(totals["total"]), int(totals["accepted"])
    if outcome.tasks_total == 0:
        outcome.error = "no such batch, or it has no tasks; check the id with roadlabel status"
        return
    if outcome.tasks_accepted == 0:
        return  # nothing to publish yet
    if await asyncio.to_thread(_head_records, vs, outcome):
        outcome.up_to_date = True
        return
    export = await gather(pool, outcome.batch_id, qa_profile_version)
    outcome.commits = await asyncio.to_thread(publish, vs, outcome.batch_id, export,
                                              read_manifest)


def _head_records(vs: Any, outcome: PublishOutcome) -> bool:
    """Whether the batch branch's head is a complete publish of these counts."""
    from roadlabel.versioning import batch_branch
    from roadlabel.versioning.gates import publish_incomplete

    branch = batch_branch(outcome.batch_id)
    if not vs.branch_exists(branch):
        return False
    meta = vs.get_commit(branch).metadata
    counts_match = (meta.get("tasks_total") == str(outcome.tasks_total)
                    and meta.get("tasks_accepted") == str(outcome.tasks_accepted))
    return counts_match and not publish_incomplete(meta)
