"""The ops loop running beside a replica publishes batch gauges on its /metrics endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import urllib.request
from datetime import UTC, datetime, timedelta

from roadlabel.config import S3Settings
from scheduler.metrics import Metrics
from scheduler.ops_loop import OpsLoop
from tests.integration.conftest import run
from tests.integration.scheduler.harness import register, scheduler_env


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        return str(r.read().decode())


def test_loop_publishes_batch_gauges_and_flags_an_overdue_batch(
        database_url: str, s3_settings: S3Settings) -> None:
    async def scenario() -> None:
        async with scheduler_env(database_url, s3_settings) as env:
            await register(env, batch="overdue", n_frames=10, segment=5, overlap=0,
                           deadline=datetime.now(UTC) - timedelta(minutes=1))
            metrics = Metrics()
            port = metrics.serve(0)
            loop = OpsLoop.for_service(env.replica.server.service, metrics, interval_s=0.1)
            task = asyncio.create_task(loop.run_forever(), name="ops-loop")
            try:
                text = ""
                for _ in range(100):
                    text = await asyncio.to_thread(_scrape, port)
                    if 'roadlabel_batch_at_risk{batch="overdue"} 1.0' in text:
                        break
                    await asyncio.sleep(0.05)
                assert 'roadlabel_batch_at_risk{batch="overdue"} 1.0' in text, text
                assert 'roadlabel_batch_target_cost_per_frame{batch="overdue"} 0.5' in text
                assert 'roadlabel_batch_accepted_frames_per_hour{batch="overdue"} 0.0' in text
                assert 'roadlabel_batch_eta_seconds{batch="overdue"} +Inf' in text
                flagged = await env.replica.pool.fetchval(
                    "SELECT at_risk FROM batches WHERE batch_id = 'overdue'")
                assert flagged
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    run(scenario())
