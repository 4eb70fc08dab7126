"""Registering ingested sequences and their pre-labels with the scheduler (IngestService).

Sequences: synchronous on purpose, the ingest driver is a plain function that Ray work hangs
off. Pre-labels: asynchronous, the pre-label driver awaits Ray's results in an event loop.
"""

from __future__ import annotations

import grpc

from roadlabel.client import Client
from roadlabel.errors import UserError
from roadlabel.labels import LabelDocument
from roadlabel.manifest import SequenceManifest
from roadlabel.v1 import ingest_pb2, ingest_pb2_grpc, labels_pb2


class RegistrationRefused(UserError):
    """The scheduler refused a registration or could not be reached (says why, and what to do)."""


class GrpcRegistrar:
    """Implements the ingest Registrar protocol against a scheduler replica."""

    def __init__(self, target: str, token: str, deadline_s: float = 30.0) -> None:
        self._target = target
        self._channel = grpc.insecure_channel(target)
        self._stub = ingest_pb2_grpc.IngestServiceStub(self._channel)
        self._metadata = (("authorization", f"Bearer {token}"),)
        self._deadline = deadline_s
        self.overlap = 0
        self.sequences: list[str] = []

    def check_batch(self, batch_id: str) -> None:
        """Fail before any decoding when the scheduler is unreachable, the token wrong or the
        batch not the caller's (hours of work would otherwise end in a refusal)."""
        from roadlabel.v1 import ops_pb2, ops_pb2_grpc

        try:
            ops_pb2_grpc.OpsServiceStub(self._channel).GetBatchStatus(
                ops_pb2.GetBatchStatusRequest(batch_id=batch_id), metadata=self._metadata,
                timeout=self._deadline)
        except grpc.RpcError as exc:
            raise _refused(exc.code(), exc.details(), self._target, f"batch {batch_id}",
                           "create it (roadlabel batch create) or fix --batch / --token") from None

    def register(self, manifest: SequenceManifest, segments: list[tuple[int, int]]) -> None:
        """Register the sequence, its frames and one task per segment (idempotent)."""
        cal = manifest.calibration
        request = ingest_pb2.RegisterSequenceRequest(
            batch_id=manifest.batch, sequence_id=manifest.sequence_id,
            source_uri=manifest.source_uri, decoder_version=manifest.decoder_version,
            calibration=labels_pb2.Calibration(
                fx=cal.fx, fy=cal.fy, cx=cal.cx, cy=cal.cy, width=cal.width, height=cal.height,
                camera_to_ego=list(cal.camera_to_ego)),
            frames=[ingest_pb2.FrameRecord(
                frame_index=f.index, pts=f.pts, timestamp_s=f.timestamp_s, sha256=f.sha256,
                key=f.key, offset=f.offset, length=f.length) for f in manifest.frames],
            segments=[ingest_pb2.SegmentRange(first_frame=a, end_frame=b) for a, b in segments],
            overlap=_overlap(segments),
        )
        try:
            self._stub.RegisterSequence(request, metadata=self._metadata, timeout=self._deadline)
        except grpc.RpcError as exc:
            raise _refused(exc.code(), exc.details(), self._target,
                           f"sequence {manifest.sequence_id} of batch {manifest.batch}",
                           "create the batch (roadlabel batch create) or fix --batch / --token, "
                           "then re-run the same command") from None
        self.sequences.append(manifest.sequence_id)

    def close(self) -> None:
        """Close the channel."""
        self._channel.close()


def _overlap(segments: list[tuple[int, int]]) -> int:
    if len(segments) < 2:
        return 0
    return max(0, segments[0][1] - segments[1][0])


class PrelabelRegistrar:
    """Attaches segments' pre-labels to their tasks over IngestService (async client)."""

    def __init__(self, client: Client, target: str) -> None:
        self.client = client
        self.target = target

    async def check_batch(self, batch_id: str) -> None:
        """Fail before any work when the scheduler is unreachable, the token wrong or the batch
        not the caller's: one GetBatchStatus call."""
        from roadlabel.v1 import ops_pb2

        try:
            await self.client.ops.GetBatchStatus(ops_pb2.GetBatchStatusRequest(batch_id=batch_id),
                                                 metadata=self.client.metadata,
                                                 timeout=self.client.deadline_s)
        except grpc.aio.AioRpcError as exc:
            raise _refused(exc.code(), exc.details(), self.target, f"batch {batch_id}",
                           "create it (roadlabel batch create) or fix --batch / --token") from None

    async def register_prelabels(self, batch_id: str, sequence_id: str, first_frame: int,
                                 doc: LabelDocument, cpu_seconds: float,
                                 gpu_seconds: float) -> bool:
        """Attach a segment's pre-labels to its task: True, or False when the task keeps the
        ones it has (already leased); RegistrationRefused when it fails."""
        from scheduler.convert import document_to_pb

        request = ingest_pb2.RegisterPrelabelsRequest(
            batch_id=batch_id, sequence_id=sequence_id, first_frame=first_frame,
            prelabels=document_to_pb(doc), cpu_seconds=cpu_seconds, gpu_seconds=gpu_seconds)
        try:
            await self.client.ingest.RegisterPrelabels(
                request, metadata=self.client.metadata, timeout=self.client.deadline_s)
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.FAILED_PRECONDITION:
                return False  # leased already: annotators work from the pre-labels it has
            raise _refused(exc.code(), exc.details(), self.target,
                           f"the pre-labels of frame {first_frame}",
                           "nothing changed for that task; run the same command again once "
                           "fixed") from None
        return True


def _refused(code: grpc.StatusCode | None, details: str | None, target: str, what: str,
             todo: str) -> RegistrationRefused:
    code = code or grpc.StatusCode.UNKNOWN
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return RegistrationRefused(
            f"could not reach the scheduler at {target} ({code.name})",
            "check --scheduler and that it is running, then run the same command again")
    return RegistrationRefused(f"scheduler refused {what} ({code.name}: {details})", todo)
