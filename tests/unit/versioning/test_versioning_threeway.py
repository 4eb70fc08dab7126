"""Object-level three-way merge planning."""

from __future__ import annotations

from roadlabel.versioning.threeway import plan_merge


def test_disjoint_changes_all_apply_and_nothing_conflicts() -> None:
    apply, conflicts = plan_merge({"a": "1", "gone": None}, {"b": "2"}, None)
    assert apply == {"a": "1", "gone": None} and conflicts == []


def test_same_path_changed_differently_conflicts_and_identical_changes_do_not() -> None:
    src = {"x": "theirs", "y": "same", "z": None}
    dst = {"x": "ours", "y": "same", "z": "edited"}
    apply, conflicts = plan_merge(src, dst, None)
    assert conflicts == ["x", "z"] and apply == {}


def test_strategies_resolve_conflicts_to_one_side() -> None:
    src, dst = {"x": "theirs", "new": "n"}, {"x": "ours"}
    assert plan_merge(src, dst, "source-wins") == ({"new": "n", "x": "theirs"}, ["x"])
    assert plan_merge(src, dst, "dest-wins") == ({"new": "n"}, ["x"])
