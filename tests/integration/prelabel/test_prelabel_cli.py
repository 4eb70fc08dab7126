"""`roadlabel prelabel`: ingested sequences pre-labelled on Ray, labels attached to their tasks."""

from __future__ import annotations

import asyncio
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from roadlabel.cli.main import main
from roadlabel.config import S3Settings
from roadlabel.errors import UserError
from roadlabel.v1 import annotator_pb2, ingest_pb2
from tests.integration.conftest import run
from tests.integration.scheduler.harness import scheduler_env
from workers.prelabel import PrelabelPool, baseline_config
from workers.prelabel.contract import file_sha256
from workers.prelabel.driver import start_actors
from workers.synth import generate_sequence
from workers.synth.video import write_mp4

SEGMENTS = ["--segment-length", "20", "--segment-overlap", "5"]  # 30 frames: 0-20, 15-30


@pytest.fixture
def drive(tmp_path: Path, s3_settings: S3Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 3 s synthetic drive (cars and lanes to find), the CLI pointed at the test S3."""
    monkeypatch.setenv("ROADLABEL_S3_ENDPOINT", s3_settings.endpoint or "")
    monkeypatch.setenv("ROADLABEL_S3_BUCKET", s3_settings.bucket)
    monkeypatch.setenv("ROADLABEL_HOME", str(tmp_path / "home"))
    path = tmp_path / "drive.mp4"
    write_mp4(path, generate_sequence(seed=7, n_frames=30).frames)
    return path


def test_prelabel_attaches_tracked_labels_to_every_task_and_reports_failures(
        database_url: str, s3_settings: S3Settings, ray_local: Any, drive: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> str:
        async with scheduler_env(database_url, s3_settings) as env:
            ops = env.client("ops-1")
            await ops.ingest.CreateBatch(ingest_pb2.CreateBatchRequest(
                batch_id="drive", project_id="p1"), metadata=ops.metadata, timeout=5)
            cli = ["--batch", "drive", "--scheduler", env.target, "--token", env.tokens["ops-1"],
                   *SEGMENTS]
            assert await asyncio.to_thread(main, ["ingest", str(drive), "--json", *cli]) == 0
            seq = json.loads(capsys.readouterr().out)["videos"][0]["sequence_id"]

            status = await asyncio.to_thread(main, [
                "prelabel", seq, "no-such-sequence", "--providers", "CPUExecutionProvider", *cli])

            out = capsys.readouterr().out.splitlines()
            assert status == 1
            assert out[0].startswith(f"done   {seq}: 2 segments, 30 frames, model "
                                     "roadlabel-baseline-")
            assert out[1] == ("failed no-such-sequence: no manifest at "
                              "manifests/no-such-sequence.json: ingest its video first "
                              "(roadlabel ingest)")
            tasks = await env.replica.pool.fetch(
                "SELECT task_id, first_frame, end_frame, prelabels FROM tasks "
                "WHERE batch_id = 'drive' ORDER BY first_frame")
            assert [(t["first_frame"], t["end_frame"]) for t in tasks] == [(0, 20), (15, 30)]
            for t in tasks:  # every task carries its own frames' pre-labels
                doc = json.loads(t["prelabels"]) if isinstance(t["prelabels"], str) \
                    else t["prelabels"]
                assert [f["frame_index"] for f in doc["frames"]] == list(
                    range(t["first_frame"], t["end_frame"]))
            ledger = await env.replica.pool.fetch(
                "SELECT kind, seconds, frames FROM cost_ledger WHERE batch_id = 'drive' "
                "AND kind LIKE 'prelabel%' AND seconds > 0")
            assert sorted(r["kind"] for r in ledger) == ["prelabel_cpu", "prelabel_cpu"]
            assert sorted(r["frames"] for r in ledger) == [15, 20]

            # actors asking for a GPU this Ray does not have: one line, before any work
            status = await asyncio.to_thread(main, [
                "prelabel", seq, *cli, "--gpus-per-actor", "1", "--start-timeout", "3"])
            assert status == 2
            assert capsys.readouterr().err == (
                "error: 1 pre-label actor(s) were not all placed within 3 s; check --actors and "
                "--gpus-per-actor against the cluster's free CPUs and GPUs, or raise "
                "--start-timeout while GPU nodes scale up\n")

            c = env.client("annotator-1")
            leased = await c.annotator.Lease(annotator_pb2.LeaseRequest(),
                                             metadata=c.metadata, timeout=5)
            pre = leased.task.prelabels
            assert pre.model_version == _baseline_version()
            frames = list(pre.frames)
            assert [f.frame_index for f in frames] == list(range(leased.task.first_frame,
                                                                 leased.task.end_frame))
            boxes = [b for f in frames for b in f.boxes]
            assert len(boxes) >= 10 and all(b.track_id for b in boxes)
            assert all(math.hypot(b.center.x, b.center.y) <= 52.0 for b in boxes)
            assert all(len(f.lanes) >= 2 for f in frames)

            # pre-labels cut with another plan than the batch's are refused, the task's kept
            token_file = drive.parent / "ops.token"
            token_file.write_text(env.tokens["ops-1"] + "\n")
            status = await asyncio.to_thread(main, [
                "prelabel", seq, "--providers", "CPUExecutionProvider", "--batch", "drive",
                "--scheduler", env.target, "--token-file", str(token_file),
                "--segment-length", "25", "--segment-overlap", "5"])
            assert status == 1
            assert capsys.readouterr().out == (
                f"failed {seq}: scheduler refused the pre-labels of frame 0 (INVALID_ARGUMENT: "
                f"prelabels.frames: the task of sequence {seq} at frame 0 spans frames 0..19, "
                "the pre-labels 0..24: cut pre-labels with the batch's segment plan); nothing "
                "changed for that task; run the same command again once fixed\n")
            kept = await env.replica.pool.fetchval(
                "SELECT jsonb_array_length(prelabels->'frames') FROM tasks WHERE task_id = $1",
                leased.task.task_id)
            assert kept == 20

            # run again: the leased task keeps what its annotator works from, the other is new
            before = await env.replica.pool.fetchval(
                "SELECT prelabels::text FROM tasks WHERE task_id = $1", leased.task.task_id)
            assert await asyncio.to_thread(main, ["prelabel", seq, *cli]) == 0
            assert capsys.readouterr().out.startswith(
                f"done   {seq}: 1 segments (1 leased already kept theirs), 30 frames, model ")
            assert before == await env.replica.pool.fetchval(
                "SELECT prelabels::text FROM tasks WHERE task_id = $1", leased.task.task_id)
            return seq

    seq = run(scenario())
    monkeypatch.setenv("ROADLABEL_TOKEN", "t")  # the token from the environment (RayJobs)
    status = main(["prelabel", seq, "--batch", "drive", "--scheduler", "127.0.0.1:1",
                   *SEGMENTS, "--providers", "CPUExecutionProvider"])
    assert status == 2  # checked before any work
    assert capsys.readouterr().err == (
        "error: could not reach the scheduler at 127.0.0.1:1 (UNAVAILABLE); check "
        "--scheduler and that it is running, then run the same command again\n")


def test_an_actor_that_cannot_load_its_model_stops_the_run_in_one_line(ray_local: Any) -> None:
    cfg = replace(baseline_config(), path="/nonexistent/model.onnx")
    pool = PrelabelPool(cfg, n_actors=1, max_restarts=0)
    try:
        with pytest.raises(UserError) as err:
            run(start_actors(pool, 60.0))
    finally:
        pool.shutdown()
    assert err.value.line().startswith("error: a pre-label actor could not start (")
    assert "/nonexistent/model.onnx does not exist" in err.value.line()
    assert "\n" not in err.value.line()


def test_prelabel_refuses_a_model_or_token_it_cannot_use_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    model = baseline_config().path
    status = main(["prelabel", "s", "--batch", "b", "--scheduler", "127.0.0.1:1", "--token", "t",
                   "--model", model])
    assert status == 2
    assert capsys.readouterr().err == ("error: --model needs --sha256; pass the model file's "
                                       "sha256 digest\n")
    status = main(["prelabel", "s", "--batch", "b", "--scheduler", "127.0.0.1:1", "--token", "t",
                   "--model", model, "--sha256", "0" * 64])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert err.startswith("error: pre-label model") and f"expected {'0' * 64}" in err
    monkeypatch.delenv("ROADLABEL_TOKEN", raising=False)
    status = main(["prelabel", "s", "--batch", "b", "--scheduler", "127.0.0.1:1"])
    assert status == 2 and capsys.readouterr().err == (
        "error: no token for --scheduler; pass --token or --token-file, or set "
        "ROADLABEL_TOKEN\n")
    status = main(["prelabel", "s", "--batch", "b", "--scheduler", "127.0.0.1:1",
                   "--token-file", str(tmp_path / "missing.token")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert err.startswith(f"error: cannot read the token file {tmp_path / 'missing.token'}")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    status = main(["prelabel", "s", "--batch", "b", "--scheduler", "127.0.0.1:1", "--token", "t",
                   "--model", str(garbage), "--sha256", file_sha256(garbage)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert err.startswith(f"error: pre-label model {garbage} cannot be loaded by ONNX Runtime")


def _baseline_version() -> str:
    cfg = baseline_config()
    assert file_sha256(cfg.path) == cfg.sha256
    from workers.prelabel import Predictor

    return Predictor(cfg).model_version
