"""`roadlabel serve` as deployed: it serves gRPC on a picked port and drains on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from roadlabel.v1 import annotator_pb2, annotator_pb2_grpc
from tests.conftest import ROOT


def test_serve_answers_and_drains_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROADLABEL_", "RAY_"))}
    env.update({"ROADLABEL_HOME": str(tmp_path / "home"), "ROADLABEL_SCHEDULER_PORT": "0",
                "ROADLABEL_METRICS_PORT": "0",
                "GRPC_VERBOSITY": "ERROR"})
    proc = subprocess.Popen([sys.executable, "-m", "roadlabel.cli.main", "serve"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        found = re.search(r"listening on [\d.]+:(\d+)", line)
        assert found, f"no listening line: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        with grpc.insecure_channel(f"127.0.0.1:{found.group(1)}") as channel:
            health = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=10)
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.RpcError) as err:
                annotator_pb2_grpc.AnnotatorServiceStub(channel).Lease(
                    annotator_pb2.LeaseRequest(), timeout=10)
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # reaps it and closes the pipes
