"""The main job end to end on the embedded stack, as ``roadlabel demo`` runs it.

ingest (Ray, PyAV) -> frames in S3 -> tasks in PostgreSQL -> pre-labels (ONNX Runtime) ->
scheduler on loopback gRPC -> simulated annotators, reviewer and QA -> accepted labels
committed on a batch branch of the versioned dataset (git by default, lakeFS when configured).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from roadlabel.config import Settings
from roadlabel.embedded import Stack, StackEndpoints

DEMO_PROJECT = "demo"
SEGMENT_LENGTH = 20
SEGMENT_OVERLAP = 2
SHARED_VIDEO = Path("data/video/solidWhiteRight.mp4")


@dataclass
class DemoSummary:
    """What the demo did, printed at the end."""

    batch: str = ""
    video: str = ""
    frames: int = 0
    tasks: int = 0
    prelabelled_tasks: int = 0
    accepted: int = 0
    commit: str = ""
    cost_per_frame: float = 0.0
    refused: int = 0
    last_error: str = ""
    errors: dict[str, int] = field(default_factory=dict)
    versioning: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The summary as the CLI prints it."""
        out = [
            f"batch        {self.batch}",
            f"video        {self.video}",
            f"frames       {self.frames}",
            f"tasks        {self.tasks} ({self.prelabelled_tasks} with pre-labels)",
            f"accepted     {self.accepted} (QA refused {self.refused} submissions on the way)",
            *([f"rpc errors   {self.errors}, last: {self.last_error[:300]}"]
              if self.errors else []),
            f"cost/frame   {self.cost_per_frame:.6f} USD (billed active time of the simulated people)",
            f"commit       {self.commit} ({self.versioning})",
            "seconds per stage:",
        ]
        out += [f"  {k:<12} {v:7.2f}" for k, v in self.seconds.items()]
        return out


@contextlib.contextmanager
def _timed(summary: DemoSummary, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    summary.seconds[stage] = time.perf_counter() - start


def find_video(project_root: Path) -> Path | None:
    """The shared real dash-cam video, when ../shared is beside the project or the cwd."""
    for base in (project_root.parent / "shared", Path.cwd().parent / "shared"):
        candidate = base / SHARED_VIDEO
        if candidate.is_file():
            return candidate
    return None


def generated_video(home: Path) -> Path:
    """A synthetic driving video (the project's own scene generator), made once."""
    from workers.synth import generate_sequence
    from workers.synth.video import write_mp4

    path = home / "demo-synthetic.mp4"
    if not path.exists():
        seq = generate_sequence(seed=7, n_frames=100)
        write_mp4(path, seq.frames, fps=10.0)
    return path


def run_demo(settings: Settings, video: Path | None = None) -> DemoSummary:
    """Run every stage; raise UserError (one line) on bad input or unreachable services."""
    summary = DemoSummary(batch="demo-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S"))
    project_root = Path(__file__).resolve().parents[1]
    start = time.perf_counter()
    with Stack(settings) as ep:
        summary.seconds["services"] = time.perf_counter() - start
        video = video or find_video(project_root) or generated_video(settings.home)
        summary.video = str(video)
        with _timed(summary, "ray"):
            from workers.ingest import ensure_ray

            ensure_ray()  # in the main thread, before the event loop starts
        asyncio.run(_pipeline(settings, ep, video, summary))
    summary.seconds["total"] = time.perf_counter() - start
    return summary


async def _pipeline(settings: Settings, ep: StackEndpoints, video: Path,
                    summary: DemoSummary) -> None:
    from roadlabel import ontology
    from roadlabel.client import connect
    from roadlabel.objectstore import MinioStore
    from scheduler.admin import add_user, create_project
    from scheduler.app import start_replica
    from scheduler.server import ServerOptions
    from scheduler.service import SchedulerConfig
    from scheduler.workflow import WorkflowConfig

    store = MinioStore(ep.s3)
    cfg = SchedulerConfig(lease_ttl_s=settings.lease_ttl_s,
                          workflow=WorkflowConfig(qa_sample_rate=0.2,
                                                  double_annotation_rate=0.2))
    with _timed(summary, "scheduler"):
        replica = await start_replica(ep.database_url, store,
                                      ServerOptions(port=0, sweep_interval_s=1.0), cfg)
    try:
        target = f"127.0.0.1:{replica.port}"
        with _timed(summary, "setup"):
            await create_project(replica.pool, DEMO_PROJECT, ontology.default())
            names = ["ops-demo", "annotator-1", "annotator-2", "annotator-3", "reviewer-1",
                     "qa-1"]
            rates = {"annotator": 18.0, "reviewer": 24.0, "qa": 30.0, "ops": 0.0}  # per hour
            tokens = {n: await add_user(replica.pool, n, n.split("-")[0], [DEMO_PROJECT],
                                        hourly_rate=rates[n.split("-")[0]])
                      for n in names}
        ops = connect(target, tokens["ops-demo"], deadline_s=30.0)
        await _create_batch(ops, summary.batch)
        with _timed(summary, "ingest"):
            manifests = await asyncio.to_thread(
                _ingest, video, summary.batch, ep, target, tokens["ops-demo"])
        summary.frames = sum(len(m.frames) for m in manifests)
        with _timed(summary, "prelabel"):
            summary.prelabelled_tasks = await _prelabel(ops, target, summary.batch, manifests,
                                                       store)
        with _timed(summary, "annotate"):
            from roadlabel.simulate import drain

            clients = [(connect(target, tokens[n]), n) for n in names[1:]]
            stats = await drain(clients)
            summary.refused = sum(st.refused for st in stats.values())
            for st in stats.values():
                for code, n in st.errors.items():
                    summary.errors[code] = summary.errors.get(code, 0) + n
                if st.last_error:
                    summary.last_error = st.last_error
            for c, _ in clients:
                await c.close()
        status = await replica.server.service.batch_status(summary.batch)
        summary.tasks = sum(status["stages"].values())
        summary.accepted = status["stages"].get("accepted", 0)
        with _timed(summary, "commit"):
            from qa import DEFAULT_PROFILE
            from scheduler.publish import gather

            export = await gather(replica.pool, summary.batch, DEFAULT_PROFILE.version)
            summary.cost_per_frame = float(export.lineage["cost_per_frame"])
            summary.commit, summary.versioning = await asyncio.to_thread(
                _commit, settings, summary.batch, export, store)
        await ops.close()
    finally:
        await replica.stop()


async def _create_batch(ops: Any, batch: str) -> None:
    from roadlabel.v1 import ingest_pb2

    await ops.ingest.CreateBatch(ingest_pb2.CreateBatchRequest(
        batch_id=batch, project_id=DEMO_PROJECT), metadata=ops.metadata, timeout=ops.deadline_s)


def _ingest(video: Path, batch: str, ep: StackEndpoints, target: str, token: str) -> list[Any]:
    from roadlabel.errors import UserError
    from roadlabel.registrar import GrpcRegistrar
    from workers.ingest import IngestOptions, SettingsStore, ingest_videos
    from workers.ingest.storage import read_manifest

    registrar = GrpcRegistrar(target, token)
    store = SettingsStore(ep.s3)
    try:
        options = IngestOptions(segment_length=SEGMENT_LENGTH, segment_overlap=SEGMENT_OVERLAP)
        report = ingest_videos([str(video)], batch, options, store, registrar)
    finally:
        registrar.close()
    if not report.ok:
        bad = report.failed[0]
        raise UserError(f"ingest of {bad.source} failed: {bad.reason}",
                        "check the video file, or run without arguments for the built-in one")
    return [read_manifest(store, v.sequence_id) for v in report.videos if v.sequence_id]


async def _prelabel(ops: Any, target: str, batch: str, manifests: list[Any], store: Any) -> int:
    """Pre-label every segment with the committed baseline model on a Ray actor pool, as
    `roadlabel prelabel` does; returns the tasks that got pre-labels."""
    from roadlabel.errors import UserError
    from roadlabel.registrar import PrelabelRegistrar
    from workers.ingest.storage import manifest_key
    from workers.prelabel import PrelabelPool, baseline_config
    from workers.prelabel.driver import PrelabelRun, prelabel_sequences

    pool = PrelabelPool(baseline_config(), n_actors=1)
    try:
        outcomes = await prelabel_sequences(
            [m.sequence_id for m in manifests], PrelabelRun(batch, SEGMENT_LENGTH, SEGMENT_OVERLAP),
            store, pool, PrelabelRegistrar(ops, target), manifest_key)
    finally:
        pool.shutdown()
    for o in outcomes:
        if not o.ok:
            raise UserError(f"pre-labelling sequence {o.sequence_id} failed: {o.reason}",
                            "run the demo again")
    return sum(o.segments for o in outcomes)


def _commit(settings: Settings, batch: str, export: Any, store: Any) -> tuple[str, str]:
    from roadlabel.versioning import open_versioning
    from scheduler.publish import publish
    from workers.ingest.storage import read_manifest

    ids = publish(open_versioning(settings), batch, export, partial(read_manifest, store))
    kind = "lakeFS" if settings.lakefs else f"git at {settings.git_repo_path}"
    return (ids[-1] if ids else "(nothing accepted)"), kind
