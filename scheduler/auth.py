"""Bearer-token authentication: tokens are issued once and stored hashed."""

from __future__ import annotations

import contextvars
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import grpc

from scheduler.db import connection
from scheduler.errors import Retryable
from scheduler.queries import q

#: Calls that need no token (health checks and reflection).
PUBLIC_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")


@dataclass(frozen=True)
class Caller:
    """The authenticated user of the current call."""

    user_id: str
    role: str
    skills: tuple[str, ...]
    projects: tuple[str, ...]


current_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar(
    "current_caller", default=None
)


def new_token() -> str:
    """A fresh bearer token (shown once to the user, never stored in clear)."""
    return "rl_" + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class AuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Authenticates every non-public call and stores the Caller in a context variable."""

    def __init__(self, pool: asyncpg.Pool, cache_ttl_s: float = 30.0) -> None:
        self._pool = pool
        self._ttl = cache_ttl_s
        # A short cache only saves round trips: a new token works at once, a changed role or
        # project membership applies within the TTL.
        self._cache: dict[str, tuple[float, Caller | None]] = {}

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        if details.method.startswith(PUBLIC_PREFIXES):
            return await continuation(details)
        token = _bearer(details.invocation_metadata)
        try:
            caller = await self._lookup(token) if token else None
        except Retryable as exc:  # the database is down or restarting: clients retry this
            return _abort(await continuation(details), grpc.StatusCode.UNAVAILABLE,
                          f"{exc}; retry with backoff")
        handler = await continuation(details)
        if caller is None:
            return _abort(handler, grpc.StatusCode.UNAUTHENTICATED, _denial(token is None))
        return _with_caller(handler, caller)

    async def _lookup(self, token: str) -> Caller | None:
        key = hash_token(token)
        hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        async with connection(self._pool) as conn:
            row = await conn.fetchrow(q("user_by_token"), key)
        caller = (
            Caller(row["user_id"], row["role"], tuple(row["skills"]), tuple(row["projects"]))
            if row else None
        )
        if caller is not None:  # a token unknown now may be registered the next second
            self._cache[key] = (time.monotonic() + self._ttl, caller)
        return caller


def _bearer(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
            return value[len("Bearer "):].strip() or None
    return None


def _denial(missing: bool) -> str:
    return (
        "missing bearer token: send 'authorization: Bearer <token>' from `roadlabel users add`"
        if missing else "unknown bearer token: ask an admin for a new one"
    )


def _abort(handler: grpc.RpcMethodHandler, code: grpc.StatusCode, message: str
           ) -> grpc.RpcMethodHandler:
    """A handler of the same shape that only answers ``code``."""

    async def abort(request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(code, message)

    async def abort_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(code, message)
        yield  # pragma: no cover - makes this an async generator

    if handler is not None and handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(
            abort_stream, handler.request_deserializer, handler.response_serializer)
    return grpc.unary_unary_rpc_method_handler(
        abort,
        handler.request_deserializer if handler else None,
        handler.response_serializer if handler else None,
    )


def _with_caller(handler: grpc.RpcMethodHandler, caller: Caller) -> grpc.RpcMethodHandler:
    if handler is None:
        return handler
    if handler.unary_unary is not None:
        inner = handler.unary_unary

        async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            current_caller.set(caller)
            return await inner(request, context)

        return grpc.unary_unary_rpc_method_handler(
            unary, handler.request_deserializer, handler.response_serializer)
    if handler.unary_stream is not None:
        inner_stream = handler.unary_stream

        async def unary_stream(request: Any, context: grpc.aio.ServicerContext) -> Any:
            current_caller.set(caller)
            async for item in inner_stream(request, context):
                yield item

        return grpc.unary_stream_rpc_method_handler(
            unary_stream, handler.request_deserializer, handler.response_serializer)
    return handler


def caller() -> Caller:
    """The authenticated caller of the current RPC."""
    value = current_caller.get()
    if value is None:
        raise RuntimeError("no authenticated caller in this context")
    return value
