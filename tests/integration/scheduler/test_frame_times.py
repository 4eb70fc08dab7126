"""Submitted timestamps are the frames' own: QA's speeds and the dataset depend on them."""

from __future__ import annotations

import grpc
import pytest

from roadlabel.config import S3Settings
from tests.integration.conftest import run
from tests.integration.scheduler.harness import (
    car_document,
    field_violations,
    lease,
    register,
    scheduler_env,
    submit,
)


def test_a_document_with_guessed_timestamps_is_refused_naming_each_frame(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, n_frames=5, segment=5, overlap=0)
            leased = await lease(env, "annotator-1")
            slow = car_document("seq1", 0, 5, dx=30.0)  # 30 m a frame: 300 m/s at 0.1 s
            for i, frame in enumerate(slow.frames):
                frame.timestamp_s = 10.0 * i  # ...but 3 m/s if frames were 10 s apart
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await submit(env, "annotator-1", leased, doc=slow)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert [v for v in field_violations(refused.value) if "timestamp_s" in v] == [
                f"labels.frames[{i}].timestamp_s" for i in range(1, 5)]
            unset = car_document("seq1", 0, 5)
            for frame in unset.frames:
                frame.timestamp_s = 0.0  # the proto default
            with pytest.raises(grpc.aio.AioRpcError) as zero:
                await submit(env, "annotator-1", leased, doc=unset)
            assert len([v for v in field_violations(zero.value) if "timestamp_s" in v]) == 4
            await submit(env, "annotator-1", leased)  # the frames' own times: accepted

    run(scenario())
