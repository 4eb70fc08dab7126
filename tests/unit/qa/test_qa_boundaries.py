"""The qa package stays pure: no protobuf, no I/O libraries, a curated public surface."""

from __future__ import annotations

import subprocess
import sys

import qa


def test_importing_qa_loads_no_protobuf_or_service_clients() -> None:
    code = (
        "import sys, qa\n"
        "bad = [m for m in sys.modules if m.startswith(('google.protobuf', 'grpc', 'asyncpg',"
        " 'minio', 'ray')) or m.endswith('_pb2')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api_names_resolve() -> None:
    for name in qa.__all__:
        assert getattr(qa, name) is not None
    assert callable(qa.check_document) and callable(qa.has_blocking)
