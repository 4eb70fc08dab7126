"""QA profiles: defaults, lookup, JSON round trip, overrides and severities."""

from __future__ import annotations

import json
from typing import Any

import pytest

from qa import DEFAULT_PROFILE, Finding, QAProfile, check_document, has_blocking
from roadlabel.labels import Box3D
from tests.unit.qa.qa_builders import document, frames_of, static_ego, track


def test_default_profile_covers_the_documented_classes() -> None:
    assert DEFAULT_PROFILE.version == "qa-profile/1"
    for cls in ("car", "truck", "bus", "pedestrian", "cyclist", "motorcycle"):
        assert cls in DEFAULT_PROFILE.classes
    assert DEFAULT_PROFILE.limits_for("Car") == DEFAULT_PROFILE.classes["car"]
    assert DEFAULT_PROFILE.limits_for("trailer") == DEFAULT_PROFILE.default


def test_json_round_trip_gives_an_equal_profile() -> None:
    text = DEFAULT_PROFILE.to_json()
    assert QAProfile.from_json(text) == DEFAULT_PROFILE
    assert json.loads(text)["classes"]["car"]["max_speed_mps"] == 70.0


def test_partial_dict_overrides_only_what_it_names() -> None:
    p = QAProfile.from_dict({
        "version": "site/2", "max_gap_frames": 5,
        "classes": {"car": {"size_tolerance": 0.2}, "tram": {"max_speed_mps": 25}},
        "severity": {"coverage": "blocking"},
    })
    assert p.version == "site/2" and p.max_gap_frames == 5 and isinstance(p.max_gap_frames, int)
    assert p.limits_for("car").size_tolerance == 0.2
    assert p.limits_for("car").max_speed_mps == DEFAULT_PROFILE.limits_for("car").max_speed_mps
    assert p.limits_for("tram").max_speed_mps == 25.0
    assert p.severity_of("coverage") == "blocking"
    assert p.severity_of("overlap") == "blocking"


@pytest.mark.parametrize(
    "bad",
    [{"max_gap_frames": 3}, {"version": "v", "nonsense": 1},
     {"version": "v", "teleport_min_m": "x"},
     {"version": "v", "severity": {"overlap": "fatal"}},
     {"version": "v", "classes": {"car": {"max_speed": 1}}}],
)
def test_bad_profiles_are_rejected_with_the_field_named(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        QAProfile.from_dict(bad)


def test_severity_override_changes_what_blocks() -> None:
    boxes: list[Box3D | None] = list(track("car-1", [float(i) for i in range(6)]))
    boxes[3] = None
    doc = document(frames_of(boxes))
    default = check_document(doc, DEFAULT_PROFILE, static_ego(doc))
    assert [f.check for f in default] == ["coverage"] and not has_blocking(default)
    strict = QAProfile.from_dict({"version": "strict/1", "severity": {"coverage": "blocking"}})
    assert has_blocking(check_document(doc, strict, static_ego(doc)))


def test_has_blocking() -> None:
    warn = Finding("coverage", "warning", (1,), ("a",), 1.0, 2.0, "m")
    block = Finding("overlap", "blocking", (1,), ("a", "b"), 0.3, 0.1, "m")
    assert not has_blocking([]) and not has_blocking([warn])
    assert has_blocking([warn, block])
