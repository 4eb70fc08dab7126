"""Publishing accepted batches from the scheduler's database to the dataset, then the nightly."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from roadlabel.config import S3Settings
from roadlabel.manifest import SequenceManifest
from roadlabel.versioning import GitVersioning
from roadlabel.versioning.nightly import run_nightly
from scheduler.publish import complete_batches, pseudonym, publish_batches
from tests.integration.conftest import run
from tests.integration.scheduler.harness import (
    Env,
    lease,
    register,
    review,
    scheduler_env,
    submit,
)
from tests.integration.versioning.versioning_samples import manifest


def _manifest(seq: str) -> SequenceManifest:
    return manifest(seq, n=5)


async def _accept_all(env: Env, n_tasks: int) -> None:
    for _ in range(n_tasks):
        await submit(env, "annotator-1", await lease(env, "annotator-1"))
        await review(env, "reviewer-1", await lease(env, "reviewer-1"))


def test_a_finished_batch_is_published_once_and_merges_under_default_gates(
        database_url: str, s3_settings: S3Settings, tmp_path: Path) -> None:
    vs = GitVersioning(tmp_path / "dataset.git")

    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            pool = env.replica.pool
            await register(env, batch="done", n_frames=5, segment=5, overlap=0)
            await register(env, batch="open", sequence="seq2", n_frames=5, segment=5, overlap=0)
            await _accept_all(env, 1)
            assert await complete_batches(pool) == ["done"]
            [first] = await publish_batches(pool, vs, ["done"], _manifest, "qa-1")
            assert first.error == "" and first.commits and not first.up_to_date
            assert (first.tasks_accepted, first.tasks_total) == (1, 1)
            meta = vs.get_commit("batch-done").metadata
            assert meta["double_annotated_tasks"] == "0" and "agreement" not in meta
            lineage = json.loads(vs.read_object("batch-done", "lineage/done.json"))
            [segment] = lineage["segments"]
            assert segment["path"] == "annotations/seq1/000000-000005.json"
            assert segment["task_id"] == "done/seq1/000000-000005"
            assert segment["annotators"] == [pseudonym("annotator-1")]
            assert segment["reviewers"] == [pseudonym("reviewer-1")] and segment["qa"] == []
            assert lineage["annotator_ids"] == [pseudonym("annotator-1")]
            [again] = await publish_batches(pool, vs, ["done"], _manifest, "qa-1")
            assert again.up_to_date and vs.resolve("batch-done") == first.commits[-1]
            [missing] = await publish_batches(pool, vs, ["nope"], _manifest, "qa-1")
            assert "no such batch" in missing.error

    run(scenario())
    # Nothing was annotated twice (the production default): agreement is unmeasured, not failed.
    report = run_nightly(vs, date(2026, 11, 30))
    assert list(report.merged) == ["batch-done"] and report.tag_created


def test_merge_nightly_publish_takes_finished_batches_from_the_database(
        database_url: str, s3_settings: S3Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The cron job's command: publish what is finished, then merge it."""
    from roadlabel.cli.main import main
    from workers.ingest.storage import SettingsStore, manifest_key

    for var in ("ROADLABEL_LAKEFS_ENDPOINT", "ROADLABEL_LAKEFS_ACCESS_KEY",
                "ROADLABEL_LAKEFS_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ROADLABEL_HOME", str(tmp_path))
    monkeypatch.setenv("ROADLABEL_DATABASE_URL", database_url)
    monkeypatch.setenv("ROADLABEL_S3_ENDPOINT", s3_settings.endpoint or "")
    monkeypatch.setenv("ROADLABEL_S3_BUCKET", s3_settings.bucket)
    SettingsStore(s3_settings).put(manifest_key("seq1"), _manifest("seq1").to_json().encode())

    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, batch="done", n_frames=5, segment=5, overlap=0)
            await _accept_all(env, 1)

    run(scenario())
    assert main(["publish"]) == 2
    assert "pass batch ids, or --complete" in capsys.readouterr().err
    assert main(["merge-nightly", "--publish", "--date", "2026-11-30"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("published done: 1 of 1 tasks accepted, head ")
    assert out[1].startswith("snapshot snapshot-2026-11-30 at ") and "merged batch-done" in out[2]
    assert main(["publish", "done", "nope"]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "up to date done: 1 of 1 tasks accepted",
        "FAILED nope: no such batch, or it has no tasks; check the id with roadlabel status"]


def test_ops_and_the_dataset_lineage_agree_on_cost_per_frame_with_overlapping_tasks(
        database_url: str, s3_settings: S3Settings) -> None:
    from scheduler.ops_loop import OpsConfig, batch_figures
    from scheduler.publish import gather
    from scheduler.queries import q
    from tests.integration.ops.ops_helpers import set_rate

    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await set_rate(env.replica.pool, "cpu", 0.05)
            tasks = await register(env, n_frames=10, segment=5, overlap=1)
            await env.replica.pool.fetchval(q("record_compute"), "prelabel:b1", "b1", "seq1",
                                            None, "prelabel", 36.0, 0.0, 10, 0)
            await _accept_all(env, len(tasks))
            figures = await batch_figures(env.replica.pool, "b1", OpsConfig())
            export = await gather(env.replica.pool, "b1", "qa-1")
            assert figures is not None and figures.frames_total > figures.frames_unique == 10
            assert figures.cost_spent > 0
            assert figures.cost_per_frame == pytest.approx(export.lineage["cost_per_frame"])

    run(scenario())
