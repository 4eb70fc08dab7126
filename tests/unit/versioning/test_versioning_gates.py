"""QA gates on head-commit metadata, and the pre-merge hook handler."""

from __future__ import annotations

from typing import Any

from roadlabel.versioning.base import CommitInfo, RefNotFound
from roadlabel.versioning.gates import Gates, gate_failures, pre_merge_hook

PASS = {"tasks_total": "4", "tasks_accepted": "4", "qa_pass_rate": "0.97", "agreement": "0.9",
        "roadlabel.chunk": "b1:1/2:0123abcd"}


def test_a_batch_meeting_every_gate_passes() -> None:
    assert gate_failures(PASS, Gates()) == []


def test_each_failing_gate_is_named() -> None:
    meta = {**PASS, "tasks_accepted": "3", "qa_pass_rate": "0.9", "agreement": "0.5"}
    assert gate_failures(meta, Gates()) == [
        "3 of 4 tasks accepted", "qa_pass_rate 0.9 < 0.95", "agreement 0.5 < 0.8"]


def test_missing_or_malformed_figures_fail() -> None:
    assert gate_failures({"qa_pass_rate": "nan", "agreement": "x"}, Gates()) == [
        "roadlabel.chunk not recorded: not published by roadlabel publish",
        "tasks_total/tasks_accepted not recorded", "qa_pass_rate not recorded",
        "agreement not recorded"]


def test_a_publish_cut_short_fails_until_its_last_chunk_is_the_head() -> None:
    cut = {**PASS, "roadlabel.chunk": "b1:0/3:0123abcd"}
    assert gate_failures(cut, Gates()) == [
        "publish incomplete: the head is chunk 1 of 3; run roadlabel publish for this batch again"]
    assert gate_failures({**PASS, "roadlabel.chunk": "b1:2/3:0123abcd"}, Gates()) == []


def test_unmeasured_agreement_passes_only_when_nothing_was_annotated_twice() -> None:
    none_doubled = {k: v for k, v in PASS.items() if k != "agreement"}
    assert gate_failures({**none_doubled, "double_annotated_tasks": "0"}, Gates()) == []
    assert gate_failures({**none_doubled, "double_annotated_tasks": "0"},
                         Gates(require_agreement=True)) == ["agreement not recorded"]
    # Doubles recorded but no agreement, or no count at all: never merged on a missing figure.
    assert gate_failures({**none_doubled, "double_annotated_tasks": "2"}, Gates()) == [
        "agreement not recorded"]
    assert gate_failures(none_doubled, Gates()) == ["agreement not recorded"]


def test_thresholds_are_configurable() -> None:
    meta = {**PASS, "qa_pass_rate": "0.9"}
    assert gate_failures(meta, Gates(min_qa_pass_rate=0.85)) == []


class _Store:
    """Just enough of a VersioningStore for the hook."""

    def __init__(self, heads: dict[str, dict[str, str]]) -> None:
        self.heads = heads

    def get_commit(self, ref: str) -> CommitInfo:
        if ref not in self.heads:
            raise RefNotFound(ref)
        return CommitInfo("c", "m", self.heads[ref])


def _event(source: str) -> dict[str, Any]:
    return {"event_type": "pre-merge", "source_ref": source, "branch_id": "main"}


def test_hook_allows_passing_and_blocks_failing_or_unknown_sources() -> None:
    store: Any = _Store({"batch-ok": PASS, "batch-bad": {**PASS, "agreement": "0.1"}})
    assert pre_merge_hook(_event("batch-ok"), store, Gates())[0] == 200
    status, body = pre_merge_hook(_event("batch-bad"), store, Gates())
    assert status == 412 and body["failures"] == ["agreement 0.1 < 0.8"]
    assert pre_merge_hook(_event("nope"), store, Gates())[0] == 412
    assert pre_merge_hook({"event_type": "pre-commit"}, store, Gates())[0] == 400
