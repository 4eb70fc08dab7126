"""Project, users, batch and tasks for a load run: admin calls plus IngestService over gRPC."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from roadlabel import ontology
from roadlabel.client import connect
from roadlabel.v1 import ingest_pb2, labels_pb2
from scheduler.admin import add_user, create_project
from scheduler.db import create_pool

FRAMES_PER_SEQUENCE = 1000


@dataclass
class Population:
    """Tokens of the simulated users and where their work lives."""

    project: str
    batch: str
    annotators: dict[str, str]
    reviewers: dict[str, str]
    tasks: int


async def populate(database_url: str, target: str, annotators: int, reviewers: int,
                   tasks: int, segment: int = 2) -> Population:
    """Create a project, users and a batch of `tasks` tasks of `segment` frames."""
    run = uuid.uuid4().hex[:8]
    project, batch = f"load-{run}", f"load-{run}"
    pool = await create_pool(database_url, max_size=4)
    try:
        await create_project(pool, project, ontology.default())
        ops = await add_user(pool, f"ops-{run}", "ops", [project])
        ann = {f"a{i}-{run}": await add_user(pool, f"a{i}-{run}", "annotator", [project])
               for i in range(annotators)}
        rev = {f"r{i}-{run}": await add_user(pool, f"r{i}-{run}", "reviewer", [project])
               for i in range(reviewers)}
    finally:
        await pool.close()
    await _register(target, ops, project, batch, tasks, segment)
    await _analyze(database_url)
    return Population(project, batch, ann, rev, tasks)


async def _analyze(database_url: str) -> None:
    """Fresh planner statistics, as autovacuum would have them in a running system.

    Without them the planner takes the just-filled tables for empty and picks plans that
    are far slower than a deployed scheduler would see.
    """
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def _register(target: str, ops_token: str, project: str, batch: str, tasks: int,
                    segment: int) -> None:
    """Register sequences of FRAMES_PER_SEQUENCE frames until `tasks` tasks exist."""
    client = connect(target, ops_token, deadline_s=60)
    try:
        await client.ingest.CreateBatch(
            ingest_pb2.CreateBatchRequest(batch_id=batch, project_id=project),
            metadata=client.metadata, timeout=30)
        per_seq = FRAMES_PER_SEQUENCE // segment
        calls = []
        for s in range(0, (tasks + per_seq - 1) // per_seq):
            n = min(per_seq, tasks - s * per_seq)
            calls.append(client.ingest.RegisterSequence(
                _sequence(batch, f"{batch}-s{s}", n, segment),
                metadata=client.metadata, timeout=60))
            if len(calls) == 4:
                await asyncio.gather(*calls)
                calls = []
        await asyncio.gather(*calls)
    finally:
        await client.close()


def _sequence(batch: str, sequence: str, n_tasks: int,
              segment: int) -> ingest_pb2.RegisterSequenceRequest:
    n_frames = n_tasks * segment
    return ingest_pb2.RegisterSequenceRequest(
        batch_id=batch, sequence_id=sequence, source_uri=f"file:///{sequence}.mp4",
        decoder_version="load",
        calibration=labels_pb2.Calibration(fx=500, fy=500, cx=320, cy=180, width=640,
                                           height=360, camera_to_ego=[0.0] * 16),
        frames=[ingest_pb2.FrameRecord(frame_index=i, pts=i * 100, timestamp_s=i * 0.1,
                                       sha256=f"{i:064x}", key=f"frames/{sequence}/c{i // 50}",
                                       offset=(i % 50) * 10, length=10)
                for i in range(n_frames)],
        segments=[ingest_pb2.SegmentRange(first_frame=a, end_frame=a + segment)
                  for a in range(0, n_frames, segment)],
        overlap=0)
