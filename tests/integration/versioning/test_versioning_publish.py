"""publish_batch on both backends: layout, lineage, chunking, idempotence."""

from __future__ import annotations

import json

from roadlabel.labels_json import document_to_dict
from roadlabel.manifest import SequenceManifest
from roadlabel.versioning import VersioningStore, publish_batch
from roadlabel.versioning.columnar import box_rows, lane_rows, read_table
from roadlabel.versioning.publish import CHUNK_KEY
from roadlabel.versioning.retry import RetryPolicy
from tests.integration.versioning.versioning_samples import document, lineage, manifest

NO_WAIT = RetryPolicy(sleep=lambda s: None)


def test_publish_writes_one_object_per_segment_with_lineage(store: VersioningStore) -> None:
    docs = [document("seq-a", 0), document("seq-a", 3), document("seq-b", 0)]
    ids = publish_batch(store, "b1", docs, [manifest("seq-a")], lineage(), retry=NO_WAIT)
    assert len(ids) == 1 and store.resolve("batch-b1") == ids[0]
    assert store.list_objects("batch-b1", "annotations/") == [
        "annotations/seq-a/000000-000003.json", "annotations/seq-a/000003-000006.json",
        "annotations/seq-b/000000-000003.json"]
    assert store.list_objects("batch-b1", "manifests/") == ["manifests/seq-a.json"]
    stored = json.loads(store.read_object(ids[0], "annotations/seq-a/000003-000006.json"))
    assert stored == document_to_dict(docs[1])
    m = SequenceManifest.from_json(store.read_object(ids[0], "manifests/seq-a.json").decode())
    assert m == manifest("seq-a")
    meta = store.get_commit(ids[0]).metadata
    assert meta["annotator_ids"] == '["p-17", "p-42"]'
    assert meta["qa_pass_rate"] == "0.98" and meta["model_version"] == "m-7"
    assert meta[CHUNK_KEY].startswith("b1:0/1:")
    assert store.list_objects("main") == []


def test_publish_chunks_commits_and_a_rerun_commits_nothing(store: VersioningStore) -> None:
    docs = [document("seq-a", 3 * i) for i in range(5)]
    # 5 segments -> 15 objects (JSON + boxes + lanes Parquet each)
    ids = publish_batch(store, "b2", docs, [], lineage(), max_objects=6, retry=NO_WAIT)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert [store.get_commit(i).metadata["roadlabel.objects"] for i in ids] == ["6", "6", "3"]
    log_before = [c.id for c in store.log("batch-b2")]
    again = publish_batch(store, "b2", docs, [], lineage(), max_objects=6, retry=NO_WAIT)
    assert again == ids
    assert [c.id for c in store.log("batch-b2")] == log_before


def test_new_content_for_the_same_batch_adds_a_commit(store: VersioningStore) -> None:
    first = publish_batch(store, "b3", [document("s", 0)], [], lineage(), retry=NO_WAIT)
    second = publish_batch(store, "b3", [document("s", 0, x=11.0)], [], lineage(),
                           retry=NO_WAIT)
    assert second != first
    assert store.get_commit(second[0]).parents == (first[0],)


def test_publish_writes_parquet_beside_each_segment(store: VersioningStore) -> None:
    docs = [document("seq-a", 0), document("seq-a", 3)]
    ids = publish_batch(store, "b4", docs, [], lineage(), retry=NO_WAIT)
    assert store.list_objects(ids[0], "parquet/") == [
        "parquet/boxes/seq-a/000000-000003.parquet", "parquet/boxes/seq-a/000003-000006.parquet",
        "parquet/lanes/seq-a/000000-000003.parquet", "parquet/lanes/seq-a/000003-000006.parquet"]
    stored = read_table(store.read_object(ids[0], "parquet/boxes/seq-a/000003-000006.parquet"))
    assert stored.to_pylist() == box_rows(docs[1])
    lanes = read_table(store.read_object(ids[0], "parquet/lanes/seq-a/000000-000003.parquet"))
    assert lanes.to_pylist() == lane_rows(docs[0])
