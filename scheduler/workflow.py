"""The task workflow: annotate -> review -> (sampled) QA -> accepted, as pure rules.

A reject at review or QA sends the task back to annotate with the reviewer's comments.
Double-annotated tasks need two distinct annotators before review. Accepted is terminal.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    """Where a task is."""

    ANNOTATE = "annotate"
    REVIEW = "review"
    QA = "qa"
    ACCEPTED = "accepted"


class Verdict(StrEnum):
    """What a submission says about the task."""

    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"


#: The stage each role leases by default.
ROLE_STAGES: dict[str, tuple[Stage, ...]] = {
    "annotator": (Stage.ANNOTATE,),
    "reviewer": (Stage.REVIEW,),
    "qa": (Stage.QA,),
    "admin": (Stage.ANNOTATE, Stage.REVIEW, Stage.QA),
    "ops": (),
}


@dataclass(frozen=True)
class WorkflowConfig:
    """Tunable shares of the workflow."""

    qa_sample_rate: float = 0.05
    double_annotation_rate: float = 0.0


def in_sample(key: str, rate: float, salt: str) -> bool:
    """Deterministic Bernoulli(rate) draw keyed by a stable id (same on every replica)."""
    digest = hashlib.sha256(f"{salt}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def next_stages(verdict: Verdict, task_id: str, cfg: WorkflowConfig) -> dict[str, str]:
    """For each stage a lease may be at, the stage the task moves to after this verdict."""
    if verdict is Verdict.SUBMIT:
        return {Stage.ANNOTATE: Stage.REVIEW}
    if verdict is Verdict.REJECT:
        return {Stage.REVIEW: Stage.ANNOTATE, Stage.QA: Stage.ANNOTATE}
    after_review = Stage.QA if in_sample(task_id, cfg.qa_sample_rate, "qa") else Stage.ACCEPTED
    return {Stage.REVIEW: after_review, Stage.QA: Stage.ACCEPTED}


#: Gold tasks never leave the annotate stage: every annotator meets them once, unmarked.
GOLD_ANNOTATIONS = 1_000_000


#: Distinct annotators a task of each kind needs before it goes to review (others: 1).
REQUIRED_ANNOTATIONS = {"double": 2, "gold": GOLD_ANNOTATIONS}


def required_annotations(task_kind: str) -> int:
    """How many distinct annotators a task needs before it goes to review."""
    return REQUIRED_ANNOTATIONS.get(task_kind, 1)


def shows_previous_labels(task_kind: str, stage: str, sent_back: bool) -> bool:
    """Whether a leased task starts from the labels last submitted on it.

    Reviewers and QA check submitted labels, and reworked tasks resume them; but independent
    annotations (double and gold tasks) must never see another annotator's answer. A double
    task sent back by review is past its independent annotations: its rework resumes the
    labels review rejected, as a normal task's does.
    """
    if stage != "annotate":
        return True
    return sent_back and task_kind in ("normal", "double")


def may_see_draft(payload: dict[str, Any], user_id: str) -> bool:
    """Whether a leased task's saved draft goes to this user: always their own; another's
    only at annotation of a normal task (the next annotator resumes it, nothing is lost).
    Double and gold tasks are annotated independently; a reviewer or QA checks the submitted
    labels, not another reviewer's unsaved edits."""
    if payload.get("draft_user") in (None, user_id):
        return True
    task = payload["task"]
    return bool(task["stage"] == "annotate" and task["kind"] == "normal")


def task_kind(task_id: str, cfg: WorkflowConfig) -> str:
    """Whether a new task is annotated once or twice (gold tasks are created explicitly)."""
    return "double" if in_sample(task_id, cfg.double_annotation_rate, "double") else "normal"


def stages_for(role: str, requested: Stage | None) -> list[str]:
    """Stages a caller may lease; an empty list means the role may not lease at all."""
    allowed = ROLE_STAGES.get(role, ())
    if requested is None:
        return [str(s) for s in allowed]
    return [str(requested)] if requested in allowed else []
