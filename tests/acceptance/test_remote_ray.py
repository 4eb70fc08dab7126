"""`roadlabel ingest` runs unchanged on a separate Ray cluster reached through RAY_ADDRESS."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from roadlabel.embedded import free_port
from tests.videos import write_video


@pytest.fixture
def ray_head(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A second Ray instance, started as its own head node in its own process group."""
    port = free_port()
    ray_bin = Path(sys.executable).parent / "ray"
    # A loopback-only head without token auth: the client side needs no shared token file.
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    proc = subprocess.Popen(
        [str(ray_bin), "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}",
         "--num-cpus=2", "--block", "--include-dashboard=false", "--disable-usage-stats",
         f"--temp-dir={tempfile.mkdtemp(prefix='rl-ray-')}"],  # short: Unix socket paths
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env)
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while subprocess.run([str(ray_bin), "status", f"--address={address}"], env=env,
                         capture_output=True, timeout=60).returncode != 0:
        assert proc.poll() is None, "ray head exited"
        assert time.monotonic() < deadline, "ray head did not come up within 120 s"
        time.sleep(1)
    yield address
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_ingest_through_ray_address(cli, ray_head: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    video = write_video(tmp_path / "drive.mp4", codec="h264", seconds=3.0, fps=10,
                        width=160, height=96)
    r = cli("ingest", str(video), "--batch", "remote", "--json",
            env={"RAY_ADDRESS": ray_head, "RAY_AUTH_MODE": "disabled"}, timeout=300)
    assert r.code == 0, r.err[-3000:]
    report = json.loads(r.out)
    [video_result] = report["videos"]
    assert video_result["status"] == "done"
    assert video_result["frames"] == 30
