"""A database outage during authentication reaches clients as UNAVAILABLE (they retry it)."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from scheduler.auth import AuthInterceptor


class _DownPool:
    """A pool whose database refuses connections, as while PostgreSQL restarts."""

    def acquire(self) -> Any:
        raise ConnectionRefusedError(111, "Connection refused")


class _Details:
    method = "/roadlabel.v1.AnnotatorService/Lease"
    invocation_metadata = (("authorization", "Bearer tok"),)


class _Aborted(Exception):
    pass


class _Context:
    async def abort(self, code: grpc.StatusCode, message: str) -> None:
        raise _Aborted(code, message)


def test_token_lookup_with_the_database_down_answers_unavailable() -> None:
    async def continuation(details: Any) -> grpc.RpcMethodHandler:
        return grpc.unary_unary_rpc_method_handler(lambda req, ctx: None)

    async def scenario() -> tuple[Any, ...]:
        handler = await AuthInterceptor(_DownPool()).intercept_service(continuation, _Details())
        with pytest.raises(_Aborted) as aborted:
            await handler.unary_unary(None, _Context())
        return aborted.value.args

    code, message = asyncio.run(scenario())
    assert code == grpc.StatusCode.UNAVAILABLE and "retry" in message
