"""Registering a sequence again: the same plan is a no-op, another plan is refused."""

from __future__ import annotations

import grpc
import pytest

from roadlabel.config import S3Settings
from tests.integration.conftest import run
from tests.integration.scheduler.harness import register, scheduler_env


def test_a_sequence_keeps_the_segment_plan_it_was_registered_with(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            first = await register(env, n_frames=20, segment=10, overlap=2)
            assert await register(env, n_frames=20, segment=10, overlap=2) == first
            with pytest.raises(grpc.aio.AioRpcError) as other_plan:
                await register(env, n_frames=20, segment=6, overlap=1)
            assert other_plan.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "re-run with the segment length and overlap" in (
                other_plan.value.details() or "")
            status = await env.replica.server.service.batch_status("b1")
            assert sum(status["stages"].values()) == len(first)  # no overlapping tasks added

    run(scenario())
