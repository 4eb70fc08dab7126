"""One scheduler replica: gRPC services, health, reflection and its watched background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from roadlabel.errors import UserError
from roadlabel.v1 import (
    annotator_pb2,
    annotator_pb2_grpc,
    ingest_pb2,
    ingest_pb2_grpc,
    ops_pb2,
    ops_pb2_grpc,
    review_pb2,
    review_pb2_grpc,
)
from scheduler.auth import AuthInterceptor
from scheduler.errors import Retryable
from scheduler.metrics import Metrics, MetricsInterceptor
from scheduler.ops_loop import OpsLoop
from scheduler.service import SchedulerService
from scheduler.servicers import AnnotatorServicer, IngestServicer, OpsServicer, ReviewServicer

log = logging.getLogger("roadlabel.scheduler")

MAX_MESSAGE_BYTES = 32 * 1024 * 1024
#: Channel options of every replica: explicit message size limits and keepalive.
SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.so_reuseport", 0),
]
SERVICE_NAMES = (
    annotator_pb2.DESCRIPTOR.services_by_name["AnnotatorService"].full_name,
    review_pb2.DESCRIPTOR.services_by_name["ReviewService"].full_name,
    ingest_pb2.DESCRIPTOR.services_by_name["IngestService"].full_name,
    ops_pb2.DESCRIPTOR.services_by_name["OpsService"].full_name,
)


@dataclass
class ServerOptions:
    """Network options of a replica."""

    host: str = "127.0.0.1"
    port: int = 50051
    reflection: bool = True
    sweep_interval_s: float = 1.0
    grace_s: float = 5.0
    metrics_port: int | None = None  # None: no /metrics endpoint; 0: a free port
    gauge_interval_s: float = 5.0
    ops_interval_s: float = 5.0
    tls_cert: bytes | None = None
    tls_key: bytes | None = None
    tls_client_ca: bytes | None = None
    extra_interceptors: list[grpc.aio.ServerInterceptor] = field(default_factory=list)


class SchedulerServer:
    """A running replica; ``await start()``, then ``await stop()``."""

    def __init__(self, service: SchedulerService, pool: asyncpg.Pool,
                 options: ServerOptions) -> None:
        self.service = service
        self.options = options
        self.health = health.aio.HealthServicer()
        self.metrics = Metrics()
        self.metrics_port: int | None = None
        self._server = grpc.aio.server(
            interceptors=[*options.extra_interceptors, MetricsInterceptor(self.metrics),
                          AuthInterceptor(pool)],
            options=SERVER_OPTIONS,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self.port = 0
        self.failed: asyncio.Future[BaseException] | None = None

    async def start(self) -> int:
        """Bind, start serving, start background tasks; return the bound port."""
        annotator_pb2_grpc.add_AnnotatorServiceServicer_to_server(
            AnnotatorServicer(self.service), self._server)
        review_pb2_grpc.add_ReviewServiceServicer_to_server(
            ReviewServicer(self.service), self._server)
        ingest_pb2_grpc.add_IngestServiceServicer_to_server(
            IngestServicer(self.service), self._server)
        ops_pb2_grpc.add_OpsServiceServicer_to_server(OpsServicer(self.service), self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        if self.options.reflection:
            reflection.enable_server_reflection(
                (*SERVICE_NAMES, health.SERVICE_NAME, reflection.SERVICE_NAME), self._server)
        self._serve_metrics()  # first: a taken port fails before anything else is started
        self.port = self._bind()
        await self._server.start()
        for name in (*SERVICE_NAMES, ""):
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self.failed = asyncio.get_running_loop().create_future()
        self._spawn("lease-sweeper", self._sweep_forever())
        self._spawn("queue-gauges", self._gauges_forever())
        self._spawn("ops-loop", OpsLoop.for_service(self.service, self.metrics,
                                                    self.options.ops_interval_s).run_forever())
        return self.port

    def _serve_metrics(self) -> None:
        if self.options.metrics_port is None:
            return
        try:
            self.metrics_port = self.metrics.serve(self.options.metrics_port, self.options.host)
        except OSError as exc:
            raise UserError(f"cannot serve /metrics on {self.options.host}:"
                            f"{self.options.metrics_port} ({exc.strerror})",
                            "stop the other process or set ROADLABEL_METRICS_PORT "
                            "(0 picks a free port)") from None

    def _bind(self) -> int:
        address = f"{self.options.host}:{self.options.port}"
        try:
            if self.options.tls_cert and self.options.tls_key:
                creds = grpc.ssl_server_credentials(
                    [(self.options.tls_key, self.options.tls_cert)],
                    root_certificates=self.options.tls_client_ca,
                    require_client_auth=self.options.tls_client_ca is not None)
                port = self._server.add_secure_port(address, creds)
            else:
                port = self._server.add_insecure_port(address)
        except RuntimeError:
            port = 0
        if port == 0:
            raise UserError(f"cannot listen on {address}: the port is taken or not allowed",
                            "stop the other process or set ROADLABEL_SCHEDULER_PORT")
        return int(port)

    def _spawn(self, name: str, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._watch)
        self._tasks.append(task)

    def _watch(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None and self.failed is not None and not self.failed.done():
            log.error("background task %s failed: %r", task.get_name(), exc)
            self.failed.set_result(exc)

    async def _sweep_forever(self) -> None:
        while True:
            try:
                n = await self.service.sweep_expired()
                if n:
                    self.metrics.lease_expiries.inc(n)
                    log.info("reclaimed %d expired lease(s)", n)
            except (Retryable, OSError, asyncpg.PostgresConnectionError,
                    asyncpg.CannotConnectNowError) as exc:
                # The database restarting is survivable; anything else stops the replica.
                log.warning("lease sweep skipped: %r", exc)
            await asyncio.sleep(self.options.sweep_interval_s)

    async def _gauges_forever(self) -> None:
        while True:
            try:
                depth, active = await self.service.queue_gauges()
            except (Retryable, OSError, asyncpg.PostgresConnectionError,
                    asyncpg.CannotConnectNowError) as exc:
                log.warning("queue gauges skipped: %r", exc)
            else:
                for stage in ("annotate", "review", "qa"):
                    self.metrics.queue_depth.labels(stage).set(depth.get(stage, 0))
                self.metrics.active_annotators.set(active)
            await asyncio.sleep(self.options.gauge_interval_s)

    async def wait(self) -> None:
        """Serve until terminated or until a background task fails (then raise it)."""
        assert self.failed is not None
        termination = asyncio.ensure_future(self._server.wait_for_termination())
        done, _ = await asyncio.wait({termination, self.failed},
                                     return_when=asyncio.FIRST_COMPLETED)
        if self.failed in done:
            termination.cancel()
            raise self.failed.result()

    async def stop(self) -> None:
        """Graceful shutdown: NOT_SERVING, drain in-flight calls, stop background tasks."""
        await self.health.enter_graceful_shutdown()
        await self._server.stop(self.options.grace_s)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
