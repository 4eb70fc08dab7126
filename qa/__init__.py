"""Quality assurance over label documents: pure functions over arrays and dataclasses.

Inline QA (run by the scheduler at Submit) is ``check_document``; the other modules score
annotators (agreement, gold, sampling) and whole datasets (health). Nothing here does I/O or
imports generated protobuf code.
"""

from __future__ import annotations

from qa.agreement import (
    AnnotatorAgreement,
    BoxMatch,
    DocumentAgreement,
    FrameAgreement,
    LaneAgreement,
    annotator_agreement,
    cohen_kappa,
    document_agreement,
    fleiss_kappa,
    frame_agreement,
    group_class_kappa,
    lane_agreement,
    match_boxes,
    match_lanes,
)
from qa.arrays import DocumentArrays, document_to_arrays
from qa.checks import check_arrays, check_document
from qa.findings import Finding, has_blocking
from qa.gold import GoldScore, score_against_gold
from qa.health import dataset_health
from qa.profile import CHECKS, DEFAULT_PROFILE, ClassLimits, QAProfile, Severity
from qa.sampling import WorkItem, qa_pass_rate, quality_score, sample_frames

__all__ = [
    "CHECKS",
    "DEFAULT_PROFILE",
    "AnnotatorAgreement",
    "BoxMatch",
    "ClassLimits",
    "DocumentAgreement",
    "DocumentArrays",
    "Finding",
    "FrameAgreement",
    "GoldScore",
    "LaneAgreement",
    "QAProfile",
    "Severity",
    "WorkItem",
    "annotator_agreement",
    "check_arrays",
    "check_document",
    "cohen_kappa",
    "dataset_health",
    "document_agreement",
    "document_to_arrays",
    "fleiss_kappa",
    "frame_agreement",
    "group_class_kappa",
    "has_blocking",
    "lane_agreement",
    "match_boxes",
    "match_lanes",
    "qa_pass_rate",
    "quality_score",
    "sample_frames",
    "score_against_gold",
]
