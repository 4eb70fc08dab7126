"""The nightly merge on both backends, and the merge-nightly CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from roadlabel.cli.main import main
from roadlabel.versioning import VersioningStore, publish_batch
from roadlabel.versioning.columnar import box_rows, read_table
from roadlabel.versioning.gates import Gates, pre_merge_hook
from roadlabel.versioning.layout import CARD_JSON, split_path
from roadlabel.versioning.nightly import run_nightly
from roadlabel.versioning.retry import RetryPolicy
from roadlabel.versioning.splits import SplitRatios, split_of
from tests.integration.versioning.versioning_samples import document, lineage, manifest
from tests.lakefs_server import LakeFSTestServer

DAY = date(2026, 11, 27)
NO_WAIT = RetryPolicy(sleep=lambda s: None)


def _publish(store: VersioningStore, batch: str, seqs: list[str], **lin: object) -> None:
    docs = [document(s, 0, category="truck" if s.endswith("2") else "car") for s in seqs]
    publish_batch(store, batch, docs, [], lineage(**lin), retry=NO_WAIT)


def test_nightly_merges_passing_batches_only_and_snapshots(store: VersioningStore) -> None:
    _publish(store, "good", ["s1", "s2"])
    _publish(store, "lowqa", ["s3"], qa_pass_rate=0.5)
    _publish(store, "open", ["s4"], tasks_accepted=1)
    report = run_nightly(store, DAY)
    assert list(report.merged) == ["batch-good"]
    assert report.rejected == {"batch-lowqa": ["qa_pass_rate 0.5 < 0.95"],
                               "batch-open": ["1 of 2 tasks accepted"]}
    assert report.tag_created and store.resolve("snapshot-2026-11-27") == store.resolve("main")
    card = json.loads(store.read_object("snapshot-2026-11-27", CARD_JSON))
    assert card["counts"] == {"sequences": 2, "segments": 2, "frames": 6, "boxes": 6,
                              "tracks": 2, "lanes": 6}
    assert card["class_distribution"] == {"car": 3, "truck": 3}
    assert card["health"]["qa_pass_rate"] == 0.98 and list(card["batches"]) == ["good"]
    for seq in ("s1", "s2"):
        split = split_of(seq, SplitRatios())
        assert seq in store.read_object("main", split_path(split)).decode().split()


def test_second_run_changes_nothing(store: VersioningStore) -> None:
    _publish(store, "good", ["s1"])
    first = run_nightly(store, DAY)
    head = store.resolve("main")
    second = run_nightly(store, DAY)
    assert store.resolve("main") == head
    assert second.merged == {} and second.already_merged == ["batch-good"]
    assert second.card_commit is None and not second.tag_created
    assert second.snapshot_commit == first.snapshot_commit


def test_a_later_night_merges_new_batches_after_a_quiet_one(store: VersioningStore) -> None:
    _publish(store, "a", ["s1"])
    run_nightly(store, DAY)
    run_nightly(store, DAY)  # nothing new: must leave main clean for the next night
    _publish(store, "b", ["s2"])
    report = run_nightly(store, date(2026, 11, 28))
    assert list(report.merged) == ["batch-b"] and report.tag_created
    card = json.loads(store.read_object("snapshot-2026-11-28", CARD_JSON))
    assert card["counts"]["sequences"] == 2 and list(card["batches"]) == ["a", "b"]
    assert store.resolve("snapshot-2026-11-27") != store.resolve("snapshot-2026-11-28")


def test_nightly_writes_exports_for_sequences_with_a_manifest(store: VersioningStore) -> None:
    publish_batch(store, "a", [document("s1", 0), document("s2", 0)], [manifest("s1")],
                  lineage(), retry=NO_WAIT)
    report = run_nightly(store, DAY, exports=["openlabel", "coco"])
    assert report.exports_skipped == ["s2"]
    assert store.list_objects("main", "exports/") == [
        "exports/coco/instances.json", "exports/openlabel/s1.json"]
    ol = json.loads(store.read_object("main", "exports/openlabel/s1.json"))
    assert sorted(ol["openlabel"]["frames"]) == ["0", "1", "2"]
    head = store.resolve("main")
    run_nightly(store, DAY, exports=["openlabel", "coco"])
    assert store.resolve("main") == head


def test_two_batches_on_one_sequence_merge_with_their_parquet(store: VersioningStore) -> None:
    # Both branches fork from the same main: the second merge is a real three-way merge.
    first = [document("s1", 0), document("s1", 3)]
    second = [document("s1", 6), document("s2", 0)]
    publish_batch(store, "a", first, [], lineage(), retry=NO_WAIT)
    publish_batch(store, "b", second, [], lineage(), retry=NO_WAIT)
    report = run_nightly(store, DAY)
    assert sorted(report.merged) == ["batch-a", "batch-b"] and report.conflicts == {}
    paths = store.list_objects("main", "parquet/boxes/")
    assert paths == ["parquet/boxes/s1/000000-000003.parquet",
                     "parquet/boxes/s1/000003-000006.parquet",
                     "parquet/boxes/s1/000006-000009.parquet",
                     "parquet/boxes/s2/000000-000003.parquet"]
    rows = [r for data in store.read_objects("main", paths).values()
            for r in read_table(data).to_pylist()]
    assert rows == [r for d in first + second for r in box_rows(d)]
    assert len(store.list_objects("main", "parquet/lanes/")) == 4


def test_conflicting_batch_is_reported_and_main_keeps_the_first(store: VersioningStore) -> None:
    _publish(store, "a", ["s1"])
    store.create_branch("batch-b", "main")  # forked before batch a is merged
    publish_batch(store, "b", [document("s1", 0, x=99.0)], [], lineage(), retry=NO_WAIT)
    report = run_nightly(store, DAY)
    assert list(report.merged) == ["batch-a"]
    # The lanes are equal on both sides (same bytes): only the JSON and the boxes conflict.
    assert report.conflicts == {"batch-b": ["annotations/s1/000000-000003.json",
                                            "parquet/boxes/s1/000000-000003.parquet"]}
    doc = json.loads(store.read_object("main", "annotations/s1/000000-000003.json"))
    assert doc["frames"][0]["boxes"][0]["center"][0] == 10.0


def test_pre_merge_hook_blocks_failing_batches(store: VersioningStore) -> None:
    _publish(store, "good", ["s1"])
    _publish(store, "bad", ["s2"], agreement=0.2)
    ok = pre_merge_hook({"event_type": "pre-merge", "source_ref": "batch-good",
                         "branch_id": "main"}, store, Gates())
    blocked = pre_merge_hook({"event_type": "pre-merge", "source_ref": "batch-bad",
                              "branch_id": "main"}, store, Gates())
    assert ok[0] == 200
    assert blocked == (412, {"error": "QA gates failed for batch-bad",
                             "failures": ["agreement 0.2 < 0.8"]})


def test_cli_runs_on_the_embedded_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for var in ("ROADLABEL_LAKEFS_ENDPOINT", "ROADLABEL_LAKEFS_ACCESS_KEY",
                "ROADLABEL_LAKEFS_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ROADLABEL_HOME", str(tmp_path))
    from roadlabel import config
    from roadlabel.versioning import open_versioning
    _publish(open_versioning(config.load()), "good", ["s1"])
    assert main(["merge-nightly", "--date", "2026-11-27", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["merged"]) == ["batch-good"]
    assert (tmp_path / "dataset.git" / "refs" / "tags" / "snapshot-2026-11-27").exists()


def test_cli_uses_lakefs_when_configured(lakefs_server: LakeFSTestServer, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ROADLABEL_HOME", str(tmp_path))
    monkeypatch.setenv("ROADLABEL_LAKEFS_ENDPOINT", lakefs_server.endpoint)
    monkeypatch.setenv("ROADLABEL_LAKEFS_ACCESS_KEY", lakefs_server.access_key)
    monkeypatch.setenv("ROADLABEL_LAKEFS_SECRET_KEY", lakefs_server.secret_key)
    assert main(["merge-nightly", "--date", "2026-11-27", "--split", "60/30/10"]) == 0
    assert "snapshot snapshot-2026-11-27" in capsys.readouterr().out
    assert "snapshot-2026-11-27" in lakefs_server.model.repos["roadlabel"].tags
    assert not (tmp_path / "dataset.git").exists()


def test_cli_rejects_a_bad_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["merge-nightly", "--date", "27/11/2026"]) == 2
    assert capsys.readouterr().err.startswith("error: --date '27/11/2026' is not YYYY-MM-DD")
