"""The framework's ceiling: AnnotatorService answering from memory, for the load test's baseline.

Same proto, same server options and the same client driver as the real scheduler, but no
database, no authentication, no validation and no QA: every Lease returns a task shaped like
a load-test task (two frames with presigned-URL-sized links, a calibration) and every Submit
is acknowledged. What two of these reach on the same cores is the most any Python grpc.aio
scheduler could reach there; `annotators.py --baseline` reports the real one as a ratio of it.

    python -m loadtests._bare_grpc --port 50151
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import signal
import uuid
from typing import Any

import grpc

from roadlabel.v1 import annotator_pb2, annotator_pb2_grpc, labels_pb2, tasks_pb2
from scheduler.server import SERVER_OPTIONS

#: A presigned GET of SeaweedFS through minio is about this long (query string included).
URL_CHARS = 420
FRAMES_PER_TASK = 2


def canned_task(n: int) -> tasks_pb2.Task:
    """A task shaped like the load test's: FRAMES_PER_TASK frames of one sequence."""
    first = n * FRAMES_PER_TASK
    task = tasks_pb2.Task(
        task_id=str(uuid.uuid4()), batch_id="bare", sequence_id="bare-s0", first_frame=first,
        end_frame=first + FRAMES_PER_TASK, overlap=0, stage=tasks_pb2.STAGE_ANNOTATE,
        document_version=1, ontology_version="1", project_id="bare",
        calibration=labels_pb2.Calibration(fx=277.0, fy=277.0, cx=160.0, cy=90.0, width=320,
                                           height=180, camera_to_ego=[0.0] * 16))
    task.deadline.GetCurrentTime()
    for i in range(first, first + FRAMES_PER_TASK):
        url = f"http://127.0.0.1:8333/roadlabel/bare/frames-{i:06d}.bin?"
        task.frames.add(frame_index=i, timestamp_s=i * 0.1, url=url.ljust(URL_CHARS, "x"),
                        offset=i * 50_000, length=50_000, sha256="0" * 64)
    return task


class BareAnnotator(annotator_pb2_grpc.AnnotatorServiceServicer):
    """Answers every call from memory."""

    def __init__(self) -> None:
        self._n = itertools.count()

    async def Lease(self, request: Any, context: Any) -> annotator_pb2.LeaseResponse:
        n = next(self._n)
        reply = annotator_pb2.LeaseResponse(task=canned_task(n))
        reply.lease.lease_id = str(uuid.uuid4())
        reply.lease.fencing_token = n + 1
        reply.lease.heartbeat_interval_s = 20.0
        reply.lease.expires_at.GetCurrentTime()
        return reply

    async def Heartbeat(self, request: Any, context: Any) -> annotator_pb2.HeartbeatResponse:
        reply = annotator_pb2.HeartbeatResponse(draft_version=1)
        reply.lease.lease_id = request.lease_id
        reply.lease.fencing_token = request.fencing_token
        return reply

    async def Submit(self, request: Any, context: Any) -> annotator_pb2.SubmitResponse:
        return annotator_pb2.SubmitResponse(submission_id=str(uuid.uuid4()),
                                            next_stage=tasks_pb2.STAGE_REVIEW,
                                            document_version=request.document_version + 1)

    async def Release(self, request: Any, context: Any) -> annotator_pb2.ReleaseResponse:
        return annotator_pb2.ReleaseResponse()


async def serve(port: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    server = grpc.aio.server(options=SERVER_OPTIONS)
    annotator_pb2_grpc.add_AnnotatorServiceServicer_to_server(BareAnnotator(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop(1.0)


def main() -> int:
    """Command line: --port."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    asyncio.run(serve(p.parse_args().port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
