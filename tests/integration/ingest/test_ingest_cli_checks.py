"""`roadlabel ingest` refuses, before decoding anything, what the scheduler would refuse after."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from roadlabel.cli.main import main
from roadlabel.config import S3Settings
from tests.integration.conftest import run
from tests.integration.scheduler.harness import scheduler_env
from workers.ingest.storage import SettingsStore
from workers.synth import generate_sequence
from workers.synth.video import write_mp4


def test_a_wrong_batch_or_token_fails_in_one_line_before_any_decoding(
        database_url: str, s3_settings: S3Settings, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ROADLABEL_S3_ENDPOINT", s3_settings.endpoint or "")
    monkeypatch.setenv("ROADLABEL_S3_BUCKET", s3_settings.bucket)
    monkeypatch.setenv("ROADLABEL_HOME", str(tmp_path / "home"))
    video = tmp_path / "drive.mp4"
    write_mp4(video, generate_sequence(seed=3, n_frames=10).frames)
    before = set(SettingsStore(s3_settings).list("manifests/"))

    async def scenario() -> list[int]:
        async with scheduler_env(database_url, s3_settings) as env:
            common = [str(video), "--scheduler", env.target]
            return [await asyncio.to_thread(main, ["ingest", *common, *args]) for args in (
                ["--batch", "no-such-batch", "--token", env.tokens["ops-1"]],
                ["--batch", "b1", "--token", "rl_wrong"])]

    assert run(scenario()) == [2, 2]
    err = capsys.readouterr().err.strip().splitlines()
    assert "scheduler refused batch no-such-batch (NOT_FOUND" in err[0]
    assert "scheduler refused batch b1 (UNAUTHENTICATED" in err[1]
    assert set(SettingsStore(s3_settings).list("manifests/")) == before  # nothing written
    assert main(["ingest", str(video), "--batch", "b1", "--token", "t"]) == 2
    assert "--token / --token-file given without --scheduler" in capsys.readouterr().err
