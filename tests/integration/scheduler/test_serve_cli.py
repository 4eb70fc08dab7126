"""`roadlabel serve` on a host where its metrics port is taken: one line, nothing left bound."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from roadlabel.config import S3Settings


def test_a_taken_metrics_port_is_one_line_naming_the_setting(
        database_url: str, s3_settings: S3Settings, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {**os.environ, "ROADLABEL_HOME": str(tmp_path), "ROADLABEL_DATABASE_URL": database_url,
               "ROADLABEL_S3_ENDPOINT": s3_settings.endpoint or "",
               "ROADLABEL_S3_BUCKET": s3_settings.bucket, "ROADLABEL_SCHEDULER_PORT": "0",
               "ROADLABEL_METRICS_PORT": str(taken.getsockname()[1])}
        done = subprocess.run([sys.executable, "-m", "roadlabel.cli.main", "serve"], env=env,
                              capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot serve /metrics on 127.0.0.1:")
    assert "ROADLABEL_METRICS_PORT" in last
