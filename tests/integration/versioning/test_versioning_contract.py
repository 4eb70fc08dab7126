"""One contract, two backends: git and lakeFS (through the spec-validating test server)."""

from __future__ import annotations

import pytest

from roadlabel.versioning import (
    AlreadyExists,
    BranchNotFound,
    DirtyBranch,
    InvalidName,
    MergeConflict,
    NothingToCommit,
    PathNotFound,
    RefNotFound,
    RepositoryNotFound,
    VersioningStore,
)
from roadlabel.versioning.base import DiffEntry


def _ready(store: VersioningStore) -> VersioningStore:
    store.ensure_repository()
    return store


def _commit(store: VersioningStore, branch: str, objects: dict[str, bytes], msg: str = "c") -> str:
    store.put_objects(branch, objects)
    return store.commit(branch, msg, {"who": "test"}).id


def test_new_repository_has_main_with_one_commit_and_ensure_is_idempotent(
        store: VersioningStore) -> None:
    _ready(store)
    first = store.resolve("main")
    store.ensure_repository()
    assert store.resolve("main") == first
    assert store.list_branches() == ["main"]
    assert len(store.log("main")) == 1
    assert store.list_objects("main") == []


def test_branches_are_created_listed_and_validated(store: VersioningStore) -> None:
    _ready(store)
    head = store.create_branch("batch-a", "main")
    assert head == store.resolve("main")
    store.create_branch("batch-b", "main")
    assert store.list_branches("batch-") == ["batch-a", "batch-b"]
    assert store.branch_exists("batch-a") and not store.branch_exists("nope")
    with pytest.raises(AlreadyExists):
        store.create_branch("batch-a", "main")
    with pytest.raises(InvalidName):
        store.create_branch("batch/a", "main")
    with pytest.raises(RefNotFound):
        store.create_branch("batch-c", "no-such-ref")


def test_staged_objects_commit_with_metadata_and_leave_main_alone(store: VersioningStore) -> None:
    _ready(store)
    store.create_branch("b", "main")
    store.put_objects("b", {"annotations/s1/000000-000010.json": b'{"a": 1}',
                            "manifests/s1.json": b"{}"})
    meta = {"roadlabel.chunk": "b:0/1:abc", "annotator_ids": '["p1","p2"]', "note": "é\nx"}
    commit = store.commit("b", "first chunk", meta)
    assert commit.metadata == meta
    assert commit.message == "first chunk"
    assert commit.parents == (store.resolve("main"),)
    again = store.get_commit(commit.id)
    assert (again.id, again.metadata, again.message) == (commit.id, meta, "first chunk")
    assert store.read_object(commit.id, "manifests/s1.json") == b"{}"
    assert store.list_objects("b", "annotations/") == ["annotations/s1/000000-000010.json"]
    assert store.list_objects("main") == []
    assert [c.id for c in store.log("b")][:1] == [commit.id]


def test_commit_without_changes_is_refused_unless_allowed(store: VersioningStore) -> None:
    _ready(store)
    store.create_branch("b", "main")
    with pytest.raises(NothingToCommit):
        store.commit("b", "nothing", {})
    empty = store.commit("b", "lineage only", {"k": "v"}, allow_empty=True)
    assert store.resolve("b") == empty.id and empty.metadata == {"k": "v"}


def test_diff_reports_added_changed_removed(store: VersioningStore) -> None:
    _ready(store)
    store.create_branch("b", "main")
    left = _commit(store, "b", {"x/a": b"1", "x/b": b"2"})
    right = _commit(store, "b", {"x/a": b"changed", "y/c": b"3"})
    assert store.diff(left, right) == [DiffEntry("x/a", "changed"), DiffEntry("y/c", "added")]
    assert store.diff(right, "main", prefix="x/") == [
        DiffEntry("x/a", "removed"), DiffEntry("x/b", "removed")]


def test_clean_merge_combines_both_sides_with_a_two_parent_commit(store: VersioningStore) -> None:
    _ready(store)
    store.create_branch("b", "main")
    source = _commit(store, "b", {"annotations/s1/a.json": b"1"})
    dest = _commit(store, "main", {"annotations/s2/b.json": b"2"})
    result = store.merge("b", "main", "nightly", {"snapshot": "2026-01-01"})
    assert result.merged
    merged = store.get_commit("main")
    assert merged.id == result.commit_id
    assert set(merged.parents) == {source, dest}
    assert merged.metadata == {"snapshot": "2026-01-01"}
    assert store.list_objects("main") == ["annotations/s1/a.json", "annotations/s2/b.json"]
    assert store.merge_base("b", "main") == source


def test_merging_again_changes_nothing(store: VersioningStore) -> None:
    _ready(store)
    store.create_branch("b", "main")
    _commit(store, "b", {"p": b"1"})
    first = store.merge("b", "main", "m", {})
    second = store.merge("b", "main", "m", {})
    assert not second.merged and second.commit_id == first.commit_id == store.resolve("main")


def _conflicting(store: VersioningStore) -> None:
    _ready(store)
    _commit(store, "main", {"seg/1": b"base", "seg/2": b"base", "seg/3": b"base"})
    store.create_branch("b", "main")
    _commit(store, "b", {"seg/1": b"theirs", "seg/2": b"same", "new/b": b"b"})
    _commit(store, "main", {"seg/1": b"ours", "seg/2": b"same", "new/m": b"m"})


def test_conflicting_merge_reports_paths_and_changes_nothing(store: VersioningStore) -> None:
    _conflicting(store)
    before = store.resolve("main")
    with pytest.raises(MergeConflict) as info:
        store.merge("b", "main", "m", {})
    assert info.value.paths == ("seg/1",)  # seg/2 changed identically: no conflict
    assert store.resolve("main") == before
    assert store.read_object("main", "seg/1") == b"ours"


@pytest.mark.parametrize(("strategy", "expected"), [("source-wins", b"theirs"),
                                                    ("dest-wins", b"ours")])
def test_merge_strategies_pick_a_side_for_conflicts_only(store: VersioningStore, strategy: str,
                                                         expected: bytes) -> None:
    _conflicting(store)
    store.merge("b", "main", "m", {}, strategy=strategy)  # type: ignore[arg-type]
    assert store.read_object("main", "seg/1") == expected
    assert store.read_objects("main", ["new/b", "new/m", "seg/3"]) == {
        "new/b": b"b", "new/m": b"m", "seg/3": b"base"}


def test_merge_into_a_branch_with_uncommitted_changes_is_refused(store: VersioningStore) -> None:
    _ready(store)
    store.create_branch("b", "main")
    _commit(store, "b", {"p": b"1"})
    store.put_objects("main", {"q": b"staged"})
    with pytest.raises(DirtyBranch):
        store.merge("b", "main", "m", {})


def test_tags_pin_a_commit(store: VersioningStore) -> None:
    _ready(store)
    commit = _commit(store, "main", {"p": b"v1"})
    assert store.tag("snapshot-2026-01-01", "main") == commit
    _commit(store, "main", {"p": b"v2"})
    assert store.resolve("snapshot-2026-01-01") == commit
    assert store.read_object("snapshot-2026-01-01", "p") == b"v1"
    with pytest.raises(AlreadyExists):
        store.tag("snapshot-2026-01-01", "main")


def test_missing_things_raise_clear_errors(store: VersioningStore) -> None:
    _ready(store)
    with pytest.raises(BranchNotFound):
        store.put_objects("nope", {"p": b"1"})
    with pytest.raises(BranchNotFound):
        store.commit("nope", "m", {})
    with pytest.raises(BranchNotFound):
        store.merge("nope", "main", "m", {})
    with pytest.raises(BranchNotFound):
        store.merge("main", "nope", "m", {})
    with pytest.raises(RefNotFound):
        store.read_object("nope", "p")
    with pytest.raises(PathNotFound):
        store.read_object("main", "p")
    with pytest.raises(InvalidName):
        store.put_objects("main", {"../escape": b"1"})


def test_unknown_repository_is_reported(store: VersioningStore) -> None:
    with pytest.raises(RepositoryNotFound):
        store.list_branches()
