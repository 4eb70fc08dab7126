"""The nightly after things went wrong: interrupted runs, cut-short publishes, refusals, faults."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from roadlabel.versioning import VersioningStore, publish_batch
from roadlabel.versioning import publish as publish_module
from roadlabel.versioning.lakefs_store import LakeFSVersioning
from roadlabel.versioning.layout import CARD_JSON
from roadlabel.versioning.nightly import run_nightly
from roadlabel.versioning.retry import RetryPolicy
from tests.integration.versioning.versioning_samples import document, lineage, manifest
from tests.lakefs_server import LakeFSTestServer

DAY, NEXT_DAY = date(2026, 11, 27), date(2026, 11, 28)
NO_WAIT = RetryPolicy(sleep=lambda s: None)


def _publish(store: VersioningStore, batch: str, seq: str, **kw: Any) -> list[str]:
    return publish_batch(store, batch, [document(seq, 0)], [manifest(seq)], lineage(),
                         retry=NO_WAIT, **kw)


def test_a_run_interrupted_after_staging_on_main_does_not_block_later_runs(
        store: VersioningStore) -> None:
    _publish(store, "a", "s1")
    store.put_objects("main", {"cards/dataset_card.json": b"half-written"})  # killed here
    report = run_nightly(store, DAY, retry=NO_WAIT)
    assert report.discarded == ["cards/dataset_card.json"]
    assert list(report.merged) == ["batch-a"] and report.tag_created
    assert json.loads(store.read_object("main", CARD_JSON))["counts"]["sequences"] == 1


def test_a_publish_cut_short_is_refused_until_it_is_finished(
        store: VersioningStore, monkeypatch: pytest.MonkeyPatch) -> None:
    real, calls = publish_module._commit_chunk, []

    def dies_after_one(*args: Any) -> str:
        if calls:
            raise KeyboardInterrupt  # the publisher is killed between two chunks
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(publish_module, "_commit_chunk", dies_after_one)
    with pytest.raises(KeyboardInterrupt):
        _publish(store, "a", "s1", max_objects=2)  # 4 objects: 2 chunks
    report = run_nightly(store, DAY, retry=NO_WAIT)
    assert report.rejected == {"batch-a": [
        "publish incomplete: the head is chunk 1 of 2; run roadlabel publish for this batch again"]}
    monkeypatch.setattr(publish_module, "_commit_chunk", real)
    _publish(store, "a", "s1", max_objects=2)
    assert list(run_nightly(store, NEXT_DAY, retry=NO_WAIT).merged) == ["batch-a"]


def test_a_second_run_the_same_day_defers_new_batches_to_the_next_snapshot(
        store: VersioningStore) -> None:
    _publish(store, "a", "s1")
    first = run_nightly(store, DAY, retry=NO_WAIT)
    _publish(store, "b", "s2")
    again = run_nightly(store, DAY, retry=NO_WAIT)
    assert again.deferred == ["batch-b"] and again.merged == {}
    assert store.resolve("main") == first.snapshot_commit == again.snapshot_commit
    assert list(run_nightly(store, NEXT_DAY, retry=NO_WAIT).merged) == ["batch-b"]


def test_exports_written_once_are_kept_up_to_date(store: VersioningStore) -> None:
    _publish(store, "a", "s1")
    run_nightly(store, DAY, exports=["coco"], retry=NO_WAIT)
    _publish(store, "b", "s2")
    run_nightly(store, NEXT_DAY, retry=NO_WAIT)  # the cron job names no format
    coco = json.loads(store.read_object("main", "exports/coco/instances.json"))
    assert {img["file_name"].split("/")[0] for img in coco["images"]} == {"s1", "s2"}


def test_a_batch_refused_by_the_pre_merge_hook_does_not_stop_the_others(
        lakefs_server: LakeFSTestServer, lakefs_store: LakeFSVersioning) -> None:
    _publish(lakefs_store, "a", "s1")
    _publish(lakefs_store, "b", "s2")
    lakefs_server.model.pre_merge_refusals["batch-a"] = "agreement 0.6 < 0.8"
    report = run_nightly(lakefs_store, DAY, retry=NO_WAIT)
    assert list(report.merged) == ["batch-b"] and report.tag_created
    [reason] = report.rejected["batch-a"]
    assert "pre-merge hook" in reason and "agreement 0.6 < 0.8" in reason


def test_transient_lakefs_errors_during_the_nightly_are_retried(
        lakefs_server: LakeFSTestServer, lakefs_store: LakeFSVersioning) -> None:
    _publish(lakefs_store, "a", "s1")
    lakefs_server.faults.add("uploadObject", "503")
    lakefs_server.faults.add("mergeIntoBranch", "lose_response")
    lakefs_server.faults.add("createTag", "503")
    report = run_nightly(lakefs_store, DAY, retry=NO_WAIT)
    assert list(report.merged) == ["batch-a"] and report.already_merged == []
    assert report.tag_created and report.snapshot_commit == lakefs_store.resolve("main")
    assert lakefs_store.discard_uncommitted("main") == []
    card = json.loads(lakefs_store.read_object("snapshot-2026-11-27", CARD_JSON))
    assert card["counts"]["sequences"] == 1
