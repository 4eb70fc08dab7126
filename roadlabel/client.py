"""A small gRPC client for roadlabel's services: bearer token, deadlines, retries of UNAVAILABLE."""

from __future__ import annotations

import json
from dataclasses import dataclass

import grpc

from roadlabel.v1 import (
    annotator_pb2_grpc,
    ingest_pb2_grpc,
    ops_pb2_grpc,
    review_pb2_grpc,
)

DEFAULT_DEADLINE_S = 10.0
# The scheduler answers UNAVAILABLE for "retry" (database restarting, replica draining):
# every call is retried with backoff within its deadline. Safe: Submit and SubmitReview are
# replay-safe by idempotency key, registrations are idempotent, and a Lease whose answer was
# lost only holds a task until its TTL.
SERVICE_CONFIG = json.dumps({"methodConfig": [{
    "name": [{}],
    "retryPolicy": {"maxAttempts": 5, "initialBackoff": "0.1s", "maxBackoff": "2s",
                    "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]},
}]})


def _metadata(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@dataclass
class Client:
    """Stubs of every service on one channel, plus the call metadata carrying the token."""

    channel: grpc.aio.Channel
    token: str
    deadline_s: float = DEFAULT_DEADLINE_S

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """Call metadata with the bearer token."""
        return _metadata(self.token)

    @property
    def annotator(self) -> annotator_pb2_grpc.AnnotatorServiceStub:
        """AnnotatorService stub."""
        return annotator_pb2_grpc.AnnotatorServiceStub(self.channel)

    @property
    def review(self) -> review_pb2_grpc.ReviewServiceStub:
        """ReviewService stub."""
        return review_pb2_grpc.ReviewServiceStub(self.channel)

    @property
    def ingest(self) -> ingest_pb2_grpc.IngestServiceStub:
        """IngestService stub."""
        return ingest_pb2_grpc.IngestServiceStub(self.channel)

    @property
    def ops(self) -> ops_pb2_grpc.OpsServiceStub:
        """OpsService stub."""
        return ops_pb2_grpc.OpsServiceStub(self.channel)

    async def close(self) -> None:
        """Close the channel."""
        await self.channel.close()


def connect(target: str, token: str, deadline_s: float = DEFAULT_DEADLINE_S, *,
            tls_ca: bytes | None = None, client_cert: bytes | None = None,
            client_key: bytes | None = None, server_name: str | None = None) -> Client:
    """A channel to a scheduler (or its load balancer); TLS when a CA is given, mTLS with a
    client certificate as well."""
    options: list[tuple[str, int | str]] = [
        ("grpc.max_receive_message_length", 32 * 1024 * 1024),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", SERVICE_CONFIG),
        ("grpc.keepalive_time_ms", 30_000),
    ]
    if tls_ca is None:
        return Client(grpc.aio.insecure_channel(target, options=options), token, deadline_s)
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    creds = grpc.ssl_channel_credentials(tls_ca, client_key, client_cert)
    return Client(grpc.aio.secure_channel(target, creds, options=options), token, deadline_s)
