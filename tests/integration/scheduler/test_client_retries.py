"""The client retries UNAVAILABLE (the scheduler's "retry later") within the call's deadline."""

from __future__ import annotations

import grpc

from roadlabel.client import connect
from roadlabel.v1 import ops_pb2
from tests.integration.conftest import run


def test_a_call_answered_unavailable_twice_succeeds_on_its_third_attempt() -> None:
    attempts: list[int] = []

    async def flaky(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        attempts.append(1)
        if len(attempts) < 3:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "database restarting; retry")
        return ops_pb2.GetBatchStatusResponse(
            status=ops_pb2.BatchStatus(batch_id="b1")).SerializeToString()

    handler = grpc.method_handlers_generic_handler("roadlabel.v1.OpsService", {
        "GetBatchStatus": grpc.unary_unary_rpc_method_handler(flaky)})

    async def scenario() -> str:
        server = grpc.aio.server()
        server.add_generic_rpc_handlers((handler,))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        client = connect(f"127.0.0.1:{port}", "token")
        try:
            reply = await client.ops.GetBatchStatus(ops_pb2.GetBatchStatusRequest(batch_id="b1"),
                                                    metadata=client.metadata, timeout=10)
            return str(reply.status.batch_id)
        finally:
            await client.close()
            await server.stop(None)

    assert run(scenario()) == "b1" and len(attempts) == 3
