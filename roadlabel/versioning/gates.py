"""QA gates a batch must pass before it merges into ``main``, and a lakeFS pre-merge hook.

The gates read the lineage metadata of the batch branch's head commit (written by
``publish_batch``): the head is the last chunk of its publish (``roadlabel.chunk`` = ``i/n``
with ``i = n-1``; a publish cut short leaves an earlier chunk at the head), ``tasks_total`` /
``tasks_accepted`` (all tasks accepted), ``qa_pass_rate`` and ``agreement`` (each at least its
configured threshold). A missing or malformed figure fails the gate: a batch is never merged
on figures it did not record. Agreement is measured on doubly-annotated tasks only; a batch
that recorded ``double_annotated_tasks = 0`` (the project annotates nothing twice) passes the
agreement gate unless ``require_agreement`` is set.

lakeFS pre-merge hook: configure an action on ``pre-merge`` of ``main`` whose webhook points at
a small HTTP endpoint that calls ``pre_merge_hook(event, store, gates)`` and answers with the
returned status and JSON body. lakeFS sends the event as JSON (``event_type``,
``repository_id``, ``branch_id`` = destination, ``source_ref``, ...) and blocks the merge on
any non-2xx answer (the merge call then fails with 412). Example action file
(``_lakefs_actions/qa_gates.yaml`` in the repository)::

    name: roadlabel QA gates
    on:
      pre-merge:
        branches: [main]
    hooks:
      - id: qa_gates
        type: webhook
        properties:
          url: "http://roadlabel-hooks:8080/lakefs/pre-merge"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from roadlabel.versioning.base import VersioningError, VersioningStore
from roadlabel.versioning.publish import CHUNK_KEY, chunk_position


@dataclass(frozen=True)
class Gates:
    """Thresholds; configurable from the CLI."""

    min_qa_pass_rate: float = 0.95
    min_agreement: float = 0.80
    require_all_accepted: bool = True
    require_agreement: bool = False


def gate_failures(metadata: Mapping[str, str], gates: Gates) -> list[str]:
    """Why a batch with this head metadata may not merge (empty list: it may)."""
    failures = publish_incomplete(metadata)
    if gates.require_all_accepted:
        total, accepted = _number(metadata, "tasks_total"), _number(metadata, "tasks_accepted")
        if total is None or accepted is None:
            failures.append("tasks_total/tasks_accepted not recorded")
        elif accepted < total or total <= 0:
            failures.append(f"{accepted:g} of {total:g} tasks accepted")
    for key, floor in (("qa_pass_rate", gates.min_qa_pass_rate),
                       ("agreement", gates.min_agreement)):
        value = _number(metadata, key)
        if value is None and key == "agreement" and not _agreement_required(metadata, gates):
            continue
        if value is None:
            failures.append(f"{key} not recorded")
        elif value < floor:
            failures.append(f"{key} {value:g} < {floor:g}")
    return failures


def publish_incomplete(metadata: Mapping[str, str]) -> list[str]:
    """Why a branch head is not a whole publish (not the last chunk: cut short); [] if it is."""
    position = chunk_position(metadata.get(CHUNK_KEY, ""))
    if position is None:
        return [f"{CHUNK_KEY} not recorded: not published by roadlabel publish"]
    index, count = position
    if index != count - 1:
        return [f"publish incomplete: the head is chunk {index + 1} of {count}; "
                "run roadlabel publish for this batch again"]
    return []


def _agreement_required(metadata: Mapping[str, str], gates: Gates) -> bool:
    """Unmeasured agreement blocks unless the batch recorded that nothing was annotated twice."""
    return gates.require_agreement or (gates.min_agreement > 0 and (
        _number(metadata, "double_annotated_tasks") != 0))


def pre_merge_hook(event: Mapping[str, Any], store: VersioningStore,
                   gates: Gates) -> tuple[int, dict[str, Any]]:
    """Answer a lakeFS pre-merge webhook: (200, ...) lets the merge go on, (412, ...) blocks it."""
    source = event.get("source_ref")
    if event.get("event_type") != "pre-merge" or not isinstance(source, str):
        return 400, {"error": "expected a pre-merge event with source_ref"}
    try:
        metadata = store.get_commit(source).metadata
    except VersioningError as exc:
        return 412, {"error": exc.what, "failures": [exc.what]}
    failures = gate_failures(metadata, gates)
    if failures:
        return 412, {"error": f"QA gates failed for {source}", "failures": failures}
    return 200, {"ok": True, "source_ref": source}


def _number(metadata: Mapping[str, str], key: str) -> float | None:
    try:
        value = float(metadata[key])
    except (KeyError, ValueError):
        return None
    return value if value == value else None  # NaN is as good as missing
