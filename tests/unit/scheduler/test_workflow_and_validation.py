"""Workflow rules and label validation, without services."""

from __future__ import annotations

from roadlabel import ontology
from roadlabel.labels import Box3D, FrameLabels, LabelDocument
from scheduler.validation import validate_document
from scheduler.workflow import (
    Stage,
    Verdict,
    WorkflowConfig,
    in_sample,
    next_stages,
    required_annotations,
    stages_for,
)


def test_transitions() -> None:
    cfg = WorkflowConfig(qa_sample_rate=0.0)
    assert next_stages(Verdict.SUBMIT, "t", cfg) == {Stage.ANNOTATE: Stage.REVIEW}
    assert next_stages(Verdict.REJECT, "t", cfg) == {Stage.REVIEW: Stage.ANNOTATE,
                                                    Stage.QA: Stage.ANNOTATE}
    assert next_stages(Verdict.APPROVE, "t", cfg)[Stage.REVIEW] == Stage.ACCEPTED
    always = WorkflowConfig(qa_sample_rate=1.0)
    assert next_stages(Verdict.APPROVE, "t", always) == {Stage.REVIEW: Stage.QA,
                                                        Stage.QA: Stage.ACCEPTED}
    assert Stage.ACCEPTED not in next_stages(Verdict.APPROVE, "t", always)  # read-only


def test_qa_sample_share_is_close_to_the_rate_and_deterministic() -> None:
    picked = [in_sample(f"task-{i}", 0.05, "qa") for i in range(20000)]
    assert 0.04 < sum(picked) / len(picked) < 0.06
    assert picked == [in_sample(f"task-{i}", 0.05, "qa") for i in range(20000)]


def test_roles_lease_only_their_stages() -> None:
    assert stages_for("annotator", None) == ["annotate"]
    assert stages_for("annotator", Stage.REVIEW) == []
    assert stages_for("reviewer", Stage.REVIEW) == ["review"]
    assert stages_for("ops", None) == []
    assert required_annotations("double") == 2 and required_annotations("normal") == 1


def _doc(*boxes: Box3D, frame: int = 0) -> LabelDocument:
    return LabelDocument("s", 0, (FrameLabels(frame, 0.0, boxes),))


def test_valid_document_has_no_violations() -> None:
    o = ontology.default()
    car = Box3D("c1", "car", 10, 0, 0.8, 4.5, 1.9, 1.6, 0.0, attributes={"occlusion": "none"})
    assert validate_document(_doc(car), 0, 1, o.classes, o.lane_types) == []


def test_violations_name_fields() -> None:
    o = ontology.default()
    bad = [
        Box3D("c1", "dragon", 10, 0, 0.8, 4.5, 1.9, 1.6, 0.0),
        Box3D("c1", "car", 900, 0, 0.8, 4.5, 1.9, 1.6, 0.0),
        Box3D("c2", "car", 10, 0, 0.8, -1, 1.9, 1.6, 0.0, attributes={"mood": "happy"}),
    ]
    fields = {f for f, _ in validate_document(_doc(*bad, frame=7), 0, 5, o.classes, o.lane_types)}
    assert {"labels.frames[0].frame_index", "labels.frames[0].boxes[0].category",
            "labels.frames[0].boxes[1].track_id", "labels.frames[0].boxes[1].center",
            "labels.frames[0].boxes[2].length",
            "labels.frames[0].boxes[2].attributes.mood"} <= fields


def test_track_changing_class_is_refused() -> None:
    o = ontology.default()
    doc = LabelDocument("s", 0, (
        FrameLabels(0, 0.0, (Box3D("t", "car", 10, 0, 0.8, 4.5, 1.9, 1.6, 0.0),)),
        FrameLabels(1, 0.1, (Box3D("t", "truck", 11, 0, 0.8, 4.5, 1.9, 1.6, 0.0),)),
    ))
    assert [f for f, _ in validate_document(doc, 0, 2, o.classes, o.lane_types)] == [
        "labels.frames[1].boxes[0].category"]
