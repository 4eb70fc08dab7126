"""Faults on the lakeFS path: each has one clear outcome, nothing committed twice or lost."""

from __future__ import annotations

import pytest
import urllib3

from roadlabel.versioning import (
    InvalidName,
    RepositoryNotFound,
    TransientError,
    publish_batch,
)
from roadlabel.versioning.lakefs_store import LakeFSVersioning
from roadlabel.versioning.publish import CHUNK_KEY
from roadlabel.versioning.retry import RetryPolicy
from tests.integration.versioning.versioning_samples import document, lineage
from tests.lakefs_server import LakeFSTestServer

DOCS = [document("seq-a", 0), document("seq-a", 3)]


def _recording_policy(waits: list[float]) -> RetryPolicy:
    return RetryPolicy(sleep=waits.append, rand=lambda: 0.5)


def _chunk_commits(store: LakeFSVersioning, branch: str) -> list[str]:
    return [c.id for c in store.log(branch) if CHUNK_KEY in c.metadata]


@pytest.mark.parametrize("fault", ["503", "429", "reset"])
def test_commit_failing_before_it_happens_is_retried_once(
        lakefs_server: LakeFSTestServer, lakefs_store: LakeFSVersioning, fault: str) -> None:
    lakefs_server.faults.add("commit", fault)
    waits: list[float] = []
    ids = publish_batch(lakefs_store, "b1", DOCS, [], lineage(), retry=_recording_policy(waits))
    assert _chunk_commits(lakefs_store, "batch-b1") == ids
    assert lakefs_server.calls["commit"] == 2  # the failed attempt and one retry
    assert waits == [0.5 * 0.2]  # full jitter: rand * base * 2**0
    assert len(lakefs_store.list_objects(ids[0], "annotations/")) == 2


def test_commit_that_secretly_succeeded_is_not_committed_again(
        lakefs_server: LakeFSTestServer, lakefs_store: LakeFSVersioning) -> None:
    lakefs_server.faults.add("commit", "lose_response")
    ids = publish_batch(lakefs_store, "b1", DOCS, [], lineage(),
                        retry=_recording_policy([]))
    assert lakefs_server.calls["commit"] == 1
    assert _chunk_commits(lakefs_store, "batch-b1") == ids


def test_upload_503_is_retried_and_nothing_is_lost(
        lakefs_server: LakeFSTestServer, lakefs_store: LakeFSVersioning) -> None:
    lakefs_server.faults.add("uploadObject", "503", times=2)
    ids = publish_batch(lakefs_store, "b1", DOCS, [], lineage(), retry=_recording_policy([]))
    assert lakefs_store.list_objects(ids[0], "annotations/") == [
        "annotations/seq-a/000000-000003.json", "annotations/seq-a/000003-000006.json"]
    assert len(lakefs_store.list_objects(ids[0], "parquet/")) == 4


def test_persistent_503_gives_up_with_a_transient_error_and_commits_nothing(
        lakefs_server: LakeFSTestServer, lakefs_store: LakeFSVersioning) -> None:
    lakefs_store.ensure_repository()
    lakefs_server.faults.add("commit", "503", times=3)
    with pytest.raises(TransientError):
        publish_batch(lakefs_store, "b1", DOCS, [], lineage(),
                      retry=RetryPolicy(attempts=3, sleep=lambda s: None))
    assert _chunk_commits(lakefs_store, "batch-b1") == []
    # The staged objects survive: the next run commits them once.
    ids = publish_batch(lakefs_store, "b1", DOCS, [], lineage(), retry=_recording_policy([]))
    assert _chunk_commits(lakefs_store, "batch-b1") == ids


def test_wrong_repository_and_credentials_are_clear(lakefs_server: LakeFSTestServer) -> None:
    other = LakeFSVersioning(lakefs_server.endpoint, lakefs_server.access_key,
                             lakefs_server.secret_key, repository="missing-repo")
    with pytest.raises(RepositoryNotFound):
        other.get_commit("main")


def test_lost_commit_response_surfaces_as_transient_although_the_commit_exists(
        lakefs_server: LakeFSTestServer, lakefs_store: LakeFSVersioning) -> None:
    lakefs_store.ensure_repository()
    lakefs_store.put_objects("main", {"p": b"1"})
    lakefs_server.faults.add("commit", "lose_response")
    with pytest.raises(TransientError):
        lakefs_store.commit("main", "m", {"k": "v"})
    assert lakefs_store.get_commit("main").metadata == {"k": "v"}


def test_a_repository_name_lakefs_forbids_is_an_invalid_name(
        lakefs_server: LakeFSTestServer) -> None:
    with pytest.raises(InvalidName):
        LakeFSVersioning(lakefs_server.endpoint, lakefs_server.access_key,
                         lakefs_server.secret_key, repository="Bad_Name")


def test_the_server_rejects_requests_that_break_the_spec(
        lakefs_server: LakeFSTestServer) -> None:
    headers = urllib3.make_headers(basic_auth=f"{lakefs_server.access_key}:"
                                              f"{lakefs_server.secret_key}")
    reply = urllib3.request("POST", f"{lakefs_server.endpoint}/repositories",
                            json={"name": "ok-repo"}, headers=headers)  # no storage_namespace
    assert reply.status == 400
    assert "storage_namespace" in reply.data.decode()
    assert any("createRepository" in v for v in lakefs_server.violations)
    lakefs_server.violations.clear()  # expected here; the fixture fails on any other
