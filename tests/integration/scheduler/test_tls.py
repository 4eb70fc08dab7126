"""TLS and mutual TLS are configuration options of a replica."""

from __future__ import annotations

import subprocess
from pathlib import Path

import grpc
import pytest

from roadlabel import ontology
from roadlabel.client import connect
from roadlabel.config import S3Settings
from roadlabel.objectstore import MinioStore
from roadlabel.v1 import annotator_pb2
from scheduler.admin import add_user, create_project
from scheduler.app import start_replica
from scheduler.server import ServerOptions
from tests.integration.conftest import run

EC_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A throwaway CA, a server certificate for localhost and a client certificate."""
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", *EC_KEY, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
             "-subj", "/CN=roadlabel-test-ca", cwd=d)
    (d / "san.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name in ("server", "client"):
        _openssl("req", *EC_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.pem", "-days", "1", "-extfile", "san.cnf",
                 cwd=d)
    return {p.name: p.read_bytes() for p in d.iterdir() if p.suffix in (".pem", ".key")}


async def _call(target: str, token: str, pki: dict[str, bytes], client_cert: bool) -> grpc.StatusCode:
    c = connect(target, token, tls_ca=pki["ca.pem"],
                client_cert=pki["client.pem"] if client_cert else None,
                client_key=pki["client.key"] if client_cert else None, deadline_s=5)
    try:
        await c.annotator.Lease(annotator_pb2.LeaseRequest(), metadata=c.metadata, timeout=5)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    finally:
        await c.close()
    return grpc.StatusCode.OK


@pytest.mark.parametrize("mutual", [False, True])
def test_tls_and_mutual_tls(database_url: str, s3_settings: S3Settings, pki: dict[str, bytes],
                            mutual: bool) -> None:
    async def scenario() -> None:
        options = ServerOptions(port=0, tls_cert=pki["server.pem"], tls_key=pki["server.key"],
                                tls_client_ca=pki["ca.pem"] if mutual else None, grace_s=0.5)
        replica = await start_replica(database_url, MinioStore(s3_settings), options,
                                      run_migrations=False)
        try:
            await create_project(replica.pool, "p1", ontology.default())
            token = await add_user(replica.pool, "a", "annotator", ["p1"])
            target = f"localhost:{replica.port}"
            # NOT_FOUND means the call got through TLS and auth: there is simply no task yet.
            assert await _call(target, token, pki, client_cert=True) == grpc.StatusCode.NOT_FOUND
            without = await _call(target, token, pki, client_cert=False)
            expected = grpc.StatusCode.UNAVAILABLE if mutual else grpc.StatusCode.NOT_FOUND
            assert without == expected
            plain = connect(target, token, deadline_s=2)
            with pytest.raises(grpc.aio.AioRpcError) as insecure:
                await plain.annotator.Lease(annotator_pb2.LeaseRequest(), metadata=plain.metadata,
                                            timeout=2)
            await plain.close()
            assert insecure.value.code() == grpc.StatusCode.UNAVAILABLE
        finally:
            await replica.stop()

    run(scenario())
