"""Prometheus metrics of one replica: RPC calls and latency, queue depth, leases, annotators.

Each replica owns a registry and serves it on its own ``/metrics`` port; the names below are
the only ones dashboards and alert rules may use (a test checks that).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

METRIC_NAMES = (
    "roadlabel_rpc_requests_total",
    "roadlabel_rpc_latency_seconds",
    "roadlabel_queue_depth",
    "roadlabel_lease_expiries_total",
    "roadlabel_active_annotators",
    "roadlabel_batch_at_risk",
    "roadlabel_batch_projected_cost_per_frame",
    "roadlabel_batch_target_cost_per_frame",
    "roadlabel_batch_eta_seconds",
    "roadlabel_batch_accepted_frames_per_hour",
)


class Metrics:
    """The metric objects of one replica, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("roadlabel_rpc_requests", "gRPC calls by method and status code",
                                ["method", "code"], registry=r)
        self.latency = Histogram(
            "roadlabel_rpc_latency_seconds", "gRPC call latency by method", ["method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=r)
        self.queue_depth = Gauge("roadlabel_queue_depth",
                                 "tasks waiting at each stage (not leased)", ["stage"], registry=r)
        self.lease_expiries = Counter("roadlabel_lease_expiries",
                                      "leases this replica's sweeper ended because their TTL passed "
                                      "(every expiry is also an event)", registry=r)
        self.active_annotators = Gauge("roadlabel_active_annotators",
                                       "users holding an active lease", registry=r)
        self.batch_at_risk = Gauge("roadlabel_batch_at_risk",
                                   "1 when the batch's ETA is past its deadline", ["batch"],
                                   registry=r)
        self.batch_projected_cost = Gauge("roadlabel_batch_projected_cost_per_frame",
                                          "projected cost per frame of the batch", ["batch"],
                                          registry=r)
        self.batch_target_cost = Gauge("roadlabel_batch_target_cost_per_frame",
                                       "target cost per frame of the batch", ["batch"], registry=r)
        self.batch_eta = Gauge("roadlabel_batch_eta_seconds",
                               "seconds until the batch is expected to be accepted", ["batch"],
                               registry=r)
        self.batch_throughput = Gauge("roadlabel_batch_accepted_frames_per_hour",
                                      "accepted frames per hour over the last hour", ["batch"],
                                      registry=r)

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Serve /metrics on host:port (0 picks a free port); return the port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return int(server.server_address[1])


class MetricsInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Counts every call and observes its latency, by method and final status code."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = details.method.rsplit("/", 1)[-1]
        inner = handler.unary_unary
        m = self.metrics

        async def observed(request: Any, context: grpc.aio.ServicerContext) -> Any:
            start = time.perf_counter()
            code = "OK"
            try:
                return await inner(request, context)
            except BaseException:
                code = _code_name(context) or "UNKNOWN"
                raise
            finally:
                m.latency.labels(method).observe(time.perf_counter() - start)
                m.requests.labels(method, code).inc()

        return grpc.unary_unary_rpc_method_handler(
            observed, handler.request_deserializer, handler.response_serializer)


def _code_name(context: grpc.aio.ServicerContext) -> str | None:
    code = context.code()
    if code is None:
        return None
    return code.name if isinstance(code, grpc.StatusCode) else str(code)
