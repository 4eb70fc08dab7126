"""The nightly job: merge every QA-passing batch into ``main`` and cut a dated snapshot.

First, anything left staged on ``main`` by an interrupted run is discarded (``main`` is only
written here, and a staged ``main`` refuses every merge). For each ``batch-*`` branch: skip it
when already contained in ``main``; check the gates on its head commit's metadata
(``gates.gate_failures``); merge it (a conflict is reported with its paths, a merge refused by
a lakeFS pre-merge hook with the hook's answer; ``main`` is left as it was and other batches
still merge). Then the dataset card (``cards/``), split lists (``splits/``) and exports
(``exports/<format>/``: the formats asked for, else those already there, so none goes stale)
are recomputed from ``main`` and committed (only what changed), and ``main`` is tagged
``snapshot-YYYY-MM-DD``. Every step is a no-op when already done and is retried on transient
errors. One snapshot per day: once the day's tag exists, a later run that day merges nothing
(batches that pass then are listed as deferred and merge into the next day's snapshot), so a
tag always holds exactly what its merge commits say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import partial
from typing import Any

from roadlabel.errors import ConfigError
from roadlabel.exports import FORMATS, export_all
from roadlabel.labels import LabelDocument
from roadlabel.manifest import SequenceManifest
from roadlabel.versioning.base import (
    DEFAULT_BRANCH,
    AlreadyExists,
    MergeConflict,
    MergeRefused,
    NothingToCommit,
    RefNotFound,
    VersioningStore,
)
from roadlabel.versioning.card import build_card, card_markdown
from roadlabel.versioning.gates import Gates, gate_failures
from roadlabel.versioning.layout import (
    ANNOTATIONS,
    CARD_JSON,
    CARD_MD,
    CARDS,
    EXPORTS,
    MANIFESTS,
    SPLITS,
    document_from_bytes,
    dumps,
    split_path,
)
from roadlabel.versioning.publish import BATCH_KEY, BRANCH_PREFIX, CHUNK_KEY, OBJECTS_KEY
from roadlabel.versioning.retry import RetryPolicy, with_retries
from roadlabel.versioning.splits import SplitRatios, assign

SNAPSHOT_KEY = "roadlabel.snapshot"
SOURCE_KEY = "roadlabel.source_commit"


@dataclass
class NightlyReport:
    """What one run did."""

    snapshot: str
    merged: dict[str, str] = field(default_factory=dict)
    already_merged: list[str] = field(default_factory=list)
    rejected: dict[str, list[str]] = field(default_factory=dict)
    conflicts: dict[str, list[str]] = field(default_factory=dict)
    deferred: list[str] = field(default_factory=list)  # passing, but the day's tag exists
    discarded: list[str] = field(default_factory=list)  # staged on main by an interrupted run
    exports_skipped: list[str] = field(default_factory=list)  # sequences without manifest
    card_commit: str | None = None
    snapshot_commit: str | None = None
    tag_created: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def snapshot_name(day: date) -> str:
    """The tag of a day's snapshot."""
    return f"snapshot-{day:%Y-%m-%d}"


def run_nightly(vs: VersioningStore, day: date, gates: Gates | None = None,
                ratios: SplitRatios | None = None, exports: Sequence[str] = (),
                retry: RetryPolicy | None = None) -> NightlyReport:
    """Merge passing batches, write card, splits and exports, tag the snapshot.

    ``exports`` names formats of ``roadlabel.exports.FORMATS`` to write under ``exports/``
    (calibrations come from ``manifests/``; sequences without one are listed as skipped);
    without it the formats already under ``exports/`` are rewritten.
    """
    report = NightlyReport(snapshot_name(day))
    policy = retry or RetryPolicy()
    with_retries(vs.ensure_repository, policy)
    report.discarded = with_retries(lambda: vs.discard_uncommitted(DEFAULT_BRANCH), policy)
    cut = with_retries(lambda: _existing_tag(vs, report.snapshot), policy)
    for branch in with_retries(lambda: vs.list_branches(BRANCH_PREFIX), policy):
        with_retries(partial(_merge_batch, vs, branch, gates or Gates(), report, cut is None),
                     policy)
    if cut is not None:
        report.snapshot_commit = cut
        return report
    report.card_commit = with_retries(
        lambda: _write_snapshot_files(vs, report, ratios or SplitRatios(), exports), policy)
    with_retries(lambda: _tag_snapshot(vs, report), policy)
    return report


def _existing_tag(vs: VersioningStore, name: str) -> str | None:
    try:
        return vs.resolve(name)
    except RefNotFound:
        return None


def _merge_batch(vs: VersioningStore, branch: str, gates: Gates, report: NightlyReport,
                 may_merge: bool) -> None:
    """Merge one batch branch if it passes; idempotent, so a retry after a lost answer is safe."""
    head = vs.get_commit(branch)
    if vs.merge_base(branch, DEFAULT_BRANCH) == head.id:
        main = vs.get_commit(DEFAULT_BRANCH)
        if (main.metadata.get(SOURCE_KEY), main.metadata.get(SNAPSHOT_KEY)) == (
                head.id, report.snapshot):
            report.merged[branch] = main.id  # merged by this run; its answer was lost
        elif branch not in report.already_merged:
            report.already_merged.append(branch)
        return
    failures = gate_failures(head.metadata, gates)
    if failures:
        report.rejected[branch] = failures
        return
    if not may_merge:
        report.deferred.append(branch)
        return
    batch_id = head.metadata.get(BATCH_KEY, branch[len(BRANCH_PREFIX):])
    lineage = {k: v for k, v in head.metadata.items() if k not in (CHUNK_KEY, OBJECTS_KEY)}
    metadata = {**lineage, BATCH_KEY: batch_id, SOURCE_KEY: head.id,
                SNAPSHOT_KEY: report.snapshot}
    try:
        result = vs.merge(branch, DEFAULT_BRANCH, f"{report.snapshot}: merge batch {batch_id}",
                          metadata)
    except MergeConflict as exc:
        report.conflicts[branch] = list(exc.paths)
        return
    except MergeRefused as exc:
        report.rejected[branch] = [exc.reason]
        return
    report.merged[branch] = result.commit_id


def _write_snapshot_files(vs: VersioningStore, report: NightlyReport, ratios: SplitRatios,
                          exports: Sequence[str]) -> str | None:
    """Commit card, splits (and exports) computed from main; None when already up to date."""
    vs.discard_uncommitted(DEFAULT_BRANCH)  # a retry after a failed upload starts clean
    exports = list(exports) or _present_formats(vs)
    paths = vs.list_objects(DEFAULT_BRANCH, ANNOTATIONS)
    docs = [document_from_bytes(b) for b in vs.read_objects(DEFAULT_BRANCH, paths).values()]
    splits = assign((d.sequence_id for d in docs), ratios)
    card = build_card(report.snapshot, docs, _merged_batches(vs), splits)
    objects = {CARD_JSON: dumps(card), CARD_MD: card_markdown(card).encode()}
    objects.update({split_path(s): "".join(f"{q}\n" for q in seqs).encode()
                    for s, seqs in splits.items()})
    if exports:
        objects.update(_exports(vs, docs, exports, report))
    prefixes = [CARDS, SPLITS, *([EXPORTS] if exports else [])]
    existing = [p for prefix in prefixes for p in vs.list_objects(DEFAULT_BRANCH, prefix)]
    current = vs.read_objects(DEFAULT_BRANCH, [p for p in existing if p in objects])
    # Stage only what changed: an unchanged card must leave main clean (lakeFS would commit
    # identical re-uploads, and a staged main refuses merges).
    changed = {p: b for p, b in objects.items() if current.get(p) != b}
    if not changed:
        return None
    vs.put_objects(DEFAULT_BRANCH, changed)
    try:
        commit = vs.commit(DEFAULT_BRANCH, f"{report.snapshot}: dataset card and splits",
                           {SNAPSHOT_KEY: report.snapshot})
    except NothingToCommit:
        return None
    return commit.id


def _present_formats(vs: VersioningStore) -> list[str]:
    """Formats already exported on main (folders under exports/)."""
    found = {p[len(EXPORTS):].split("/", 1)[0] for p in vs.list_objects(DEFAULT_BRANCH, EXPORTS)}
    return sorted(f for f in found if f in FORMATS)


def _exports(vs: VersioningStore, docs: list[LabelDocument], formats: Sequence[str],
             report: NightlyReport) -> dict[str, bytes]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ConfigError(f"unknown export format(s) {', '.join(unknown)}",
                          f"choose from {', '.join(FORMATS)}")
    manifests = vs.read_objects(DEFAULT_BRANCH, vs.list_objects(DEFAULT_BRANCH, MANIFESTS))
    calibrations = {m.sequence_id: m.calibration for m in
                    (SequenceManifest.from_json(b.decode()) for b in manifests.values())}
    report.exports_skipped = sorted({d.sequence_id for d in docs} - set(calibrations))
    usable = [d for d in docs if d.sequence_id in calibrations]
    return export_all(usable, calibrations, formats)


def _merged_batches(vs: VersioningStore) -> dict[str, dict[str, str]]:
    """batch id -> lineage, from the merge commits on main."""
    out: dict[str, dict[str, str]] = {}
    for commit in vs.log(DEFAULT_BRANCH, limit=100_000):
        batch = commit.metadata.get(BATCH_KEY)
        if batch and SOURCE_KEY in commit.metadata:
            out.setdefault(batch, dict(commit.metadata))
    return out


def _tag_snapshot(vs: VersioningStore, report: NightlyReport) -> None:
    try:
        report.snapshot_commit = vs.tag(report.snapshot, DEFAULT_BRANCH)
        report.tag_created = True
    except AlreadyExists:  # a retried tag whose first answer was lost
        report.snapshot_commit = vs.resolve(report.snapshot)
