"""Publishing a batch of accepted labels to its own branch, with lineage, exactly once.

``publish_batch`` writes every annotation and manifest of a batch to branch ``batch-<id>``
(lakeFS forbids ``/`` in branch names, so not ``batch/<id>``), created from ``main``. Objects
go in chunks of at most 10,000 per commit (lakeFS advises commits well under a million
objects) and the chunks are committed one after another (lakeFS advises against concurrent
commits on one branch).

Each commit carries ``roadlabel.chunk = <batch>:<index>/<count>:<sha256 of the chunk>``. Before
any retry of a commit, and before each chunk of a re-run, the branch log is searched for that
key: a commit that succeeded although its response was lost is found and never repeated.

Lineage goes into the metadata of every commit (lakeFS metadata is string -> string; non-string
values are JSON-encoded). The documented keys, read back by the nightly gates and the card:
``model_version``, ``ontology_version``, ``guideline_version``, ``qa_profile_version``,
``annotator_ids`` (pseudonymous), ``task_ids``, ``tasks_total``, ``tasks_accepted``,
``qa_pass_rate``, ``agreement``, ``double_annotated_tasks``, ``cost_per_frame``. Other keys are
kept as given. The chunk key hashes the lineage too: re-publishing the same objects with other
figures (a corrected pass rate) commits again, so the head always carries the latest lineage.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from roadlabel.labels import LabelDocument
from roadlabel.manifest import SequenceManifest
from roadlabel.versioning.base import (
    DEFAULT_BRANCH,
    AlreadyExists,
    CommitInfo,
    VersioningStore,
    check_branch_name,
)
from roadlabel.versioning.layout import batch_objects
from roadlabel.versioning.retry import RetryPolicy, with_retries

CHUNK_KEY = "roadlabel.chunk"
BATCH_KEY = "roadlabel.batch"
OBJECTS_KEY = "roadlabel.objects"
MAX_OBJECTS_PER_COMMIT = 10_000
LINEAGE_KEYS = (
    "model_version", "ontology_version", "guideline_version", "qa_profile_version",
    "annotator_ids", "task_ids", "tasks_total", "tasks_accepted", "qa_pass_rate", "agreement",
    "double_annotated_tasks", "cost_per_frame",
)
BRANCH_PREFIX = "batch-"


def batch_branch(batch_id: str) -> str:
    """The branch a batch is published to."""
    return check_branch_name(BRANCH_PREFIX + batch_id)


def lineage_metadata(lineage: Mapping[str, Any]) -> dict[str, str]:
    """Lineage as lakeFS metadata: strings as they are, everything else as JSON."""
    return {str(k): v if isinstance(v, str) else json.dumps(v, sort_keys=True)
            for k, v in lineage.items()}


def publish_batch(vs: VersioningStore, batch_id: str, documents: list[LabelDocument],
                  manifests: list[SequenceManifest], lineage: dict[str, Any], *,
                  max_objects: int = MAX_OBJECTS_PER_COMMIT,
                  retry: RetryPolicy | None = None) -> list[str]:
    """Commit a batch's documents (JSON + Parquet) and manifests to ``batch-<id>``.

    Returns the commit ids. Safe to call again with the same input: committed chunks are
    found by their key and their commit ids returned without writing anything.
    """
    return publish_objects(vs, batch_id, batch_objects(documents, manifests), lineage,
                           max_objects=max_objects, retry=retry)


def publish_objects(vs: VersioningStore, batch_id: str, objects: Mapping[str, bytes],
                    lineage: Mapping[str, Any], *, max_objects: int = MAX_OBJECTS_PER_COMMIT,
                    retry: RetryPolicy | None = None) -> list[str]:
    """Commit already encoded objects (path -> bytes) to ``batch-<id>``; return the commit ids."""
    policy = retry or RetryPolicy()
    branch = batch_branch(batch_id)
    with_retries(vs.ensure_repository, policy)
    _ensure_branch(vs, branch, policy)
    chunks = _chunks(objects, max_objects)
    done = with_retries(lambda: _committed_chunks(vs, branch, len(chunks) + 10), policy)
    base = lineage_metadata(lineage)
    ids: list[str] = []
    for index, chunk in enumerate(chunks):
        key = chunk_key(batch_id, index, len(chunks), chunk, base)
        if key in done:
            ids.append(done[key])
            continue
        metadata = {**base, CHUNK_KEY: key, BATCH_KEY: batch_id, OBJECTS_KEY: str(len(chunk))}
        message = f"batch {batch_id}: chunk {index + 1}/{len(chunks)} ({len(chunk)} objects)"
        ids.append(_commit_chunk(vs, branch, chunk, message, metadata, policy))
    return ids


def chunk_key(batch_id: str, index: int, count: int, chunk: Mapping[str, bytes],
              lineage: Mapping[str, str]) -> str:
    """Identity of one chunk: batch, position and a hash of every path and content, and of
    the lineage it is committed with."""
    h = hashlib.sha256(json.dumps(dict(lineage), sort_keys=True).encode())
    for path in sorted(chunk):
        h.update(path.encode() + b"\0" + hashlib.sha256(chunk[path]).digest())
    return f"{batch_id}:{index}/{count}:{h.hexdigest()[:32]}"


def chunk_position(key: str) -> tuple[int, int] | None:
    """(index, count) of a chunk key made by ``chunk_key``; None for anything else."""
    parts = key.rsplit(":", 2)
    index, _, count = parts[1].partition("/") if len(parts) == 3 else ("", "", "")
    return (int(index), int(count)) if index.isdigit() and count.isdigit() else None


def _ensure_branch(vs: VersioningStore, branch: str, policy: RetryPolicy) -> None:
    if with_retries(lambda: vs.branch_exists(branch), policy):
        return
    try:
        with_retries(lambda: vs.create_branch(branch, DEFAULT_BRANCH), policy)
    except AlreadyExists:
        pass  # created by an attempt whose response was lost, or concurrently


def _chunks(objects: Mapping[str, bytes], size: int) -> list[dict[str, bytes]]:
    paths = sorted(objects)
    return [{p: objects[p] for p in paths[i:i + size]} for i in range(0, len(paths), size)]


def _committed_chunks(vs: VersioningStore, branch: str, depth: int) -> dict[str, str]:
    """chunk key -> commit id for the most recent ``depth`` commits of the branch."""
    return {c.metadata[CHUNK_KEY]: c.id for c in vs.log(branch, limit=depth)
            if CHUNK_KEY in c.metadata}


def _commit_chunk(vs: VersioningStore, branch: str, chunk: Mapping[str, bytes], message: str,
                  metadata: dict[str, str], policy: RetryPolicy) -> str:
    key = metadata[CHUNK_KEY]

    def recover() -> CommitInfo | None:
        # One writer per branch: a commit that secretly succeeded is among the last few.
        return next((c for c in vs.log(branch, limit=5) if c.metadata.get(CHUNK_KEY) == key),
                    None)

    with_retries(lambda: vs.put_objects(branch, chunk), policy)
    # allow_empty: re-publishing identical content still records the lineage of this batch.
    commit = with_retries(lambda: vs.commit(branch, message, metadata, allow_empty=True),
                          policy, recover=recover)
    return commit.id


def head_lineage(vs: VersioningStore, branch: str) -> dict[str, str]:
    """The metadata of a branch head (what the nightly gates read)."""
    return dict(vs.get_commit(branch).metadata)

