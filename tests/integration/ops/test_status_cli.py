"""`roadlabel status --server` reads OpsService over gRPC and prints one table with --once."""

from __future__ import annotations

import argparse
import random

import pytest

from roadlabel.cli.status import show_from_server
from roadlabel.config import S3Settings
from roadlabel.errors import UserError
from tests.integration.conftest import run
from tests.integration.ops.ops_helpers import accept_one
from tests.integration.scheduler.harness import register, scheduler_env


def test_status_over_grpc_prints_the_batch(database_url: str, s3_settings: S3Settings,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=10, segment=5, overlap=0)
            assert await accept_one(env, random.Random(0))
            args = argparse.Namespace(server=env.target, batch=["b1"], once=True, interval=1.0)
            await show_from_server(args, env.tokens["ops-1"])
            with pytest.raises(UserError, match="PERMISSION_DENIED"):
                await show_from_server(args, env.tokens["annotator-1"])

    run(scenario())
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("BATCH")
    assert lines[1].split()[:3] == ["b1", "5/10", "50%"]


def test_status_takes_scheduler_and_token_like_ingest_and_prelabel(
        database_url: str, s3_settings: S3Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from roadlabel.cli.main import main

    async def scenario() -> list[int]:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=10, segment=5, overlap=0)
            monkeypatch.setenv("ROADLABEL_TOKEN", env.tokens["ops-1"])
            base = ["status", "--once", "--scheduler", env.target]
            return [await asyncio.to_thread(main, [*base, "--batch", "b1"]),
                    await asyncio.to_thread(main, base)]

    assert run(scenario()) == [0, 2]
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1].split()[:2] == ["b1", "0/10"]
    assert "--scheduler needs --batch and an ops token" in captured.err
