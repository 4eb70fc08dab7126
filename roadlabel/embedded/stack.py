"""Start, reuse and stop the services roadlabel needs, embedded where nothing is configured.

``Stack`` starts PostgreSQL and S3 only when their environment variables are unset, and
reuses a stack left running by ``roadlabel stack up`` (recorded in ``$ROADLABEL_HOME/stack.json``).
Ray is started in-process by ``connect_ray`` (local) or joined through ``RAY_ADDRESS``.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType

from roadlabel.config import S3Settings, Settings
from roadlabel.embedded.postgres import EmbeddedPostgres, process_alive
from roadlabel.embedded.s3 import EmbeddedS3


@dataclass(frozen=True)
class StackEndpoints:
    """Where each service of a running stack answers."""

    database_url: str
    s3: S3Settings
    ray_address: str | None


class Stack:
    """Context manager: embedded services up on enter, the ones it started down on exit."""

    def __init__(self, settings: Settings, keep_running: bool = False,
                 need_s3: bool = True, need_pg: bool = True) -> None:
        self.settings = settings
        self.need_s3 = need_s3
        self.need_pg = need_pg
        self.keep_running = keep_running
        self._pg: EmbeddedPostgres | None = None
        self._s3: EmbeddedS3 | None = None
        self.endpoints: StackEndpoints | None = None

    @property
    def state_file(self) -> Path:
        """Where a long-running stack records its endpoints."""
        return self.settings.home / "stack.json"

    def __enter__(self) -> StackEndpoints:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        reused = self._reuse_recorded()
        db_url = self.settings.database_url or (reused.database_url if reused else None)
        s3 = self.settings.s3 if self.settings.s3.endpoint else (reused.s3 if reused else None)
        try:
            if db_url is None and self.need_pg:
                self._pg = EmbeddedPostgres(self.settings.home / "postgres")
                self._pg.start()
                db_url = self._pg.url
            if s3 is None and self.need_s3:
                self._s3 = EmbeddedS3(self.settings.home / "s3", bucket=self.settings.s3.bucket)
                self._s3.start()
                s3 = self._s3.settings
        except BaseException:
            self._stop_started()
            raise
        if self.need_s3 and self._s3 is None and s3 is not None:
            _check_s3(s3)
        self.endpoints = StackEndpoints(db_url or "", s3 or self.settings.s3,
                                        self.settings.ray_address)
        if self.keep_running and (reused is None or self._pg or self._s3):
            self._record()  # a second `stack up` on a running stack keeps the first record
        return self.endpoints

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if not self.keep_running:
            self._stop_started()

    def _stop_started(self) -> None:
        if self._s3 is not None:
            self._s3.stop()
        if self._pg is not None and not self._pg.attached:
            self._pg.stop()  # a server another command (serve) runs is left running

    def _record(self) -> None:
        assert self.endpoints is not None
        state = {"endpoints": asdict(self.endpoints), "pids": {
            "s3": self._s3.pid if self._s3 else None,
        }, "postgres_dir": str(self._pg.data_dir) if self._pg and not self._pg.attached else None}
        self.state_file.write_text(json.dumps(state, indent=2))

    def _reuse_recorded(self) -> StackEndpoints | None:
        if not self.state_file.exists():
            return None
        state = json.loads(self.state_file.read_text())
        s3_pid = state["pids"].get("s3")
        if s3_pid is not None and not process_alive(s3_pid):
            self.state_file.unlink()
            return None
        pg_dir = state.get("postgres_dir")
        if pg_dir and not EmbeddedPostgres(Path(pg_dir)).running():
            self.state_file.unlink()
            return None
        ep = state["endpoints"]
        return StackEndpoints(ep["database_url"], S3Settings(**ep["s3"]), ep["ray_address"])


def stop_recorded(settings: Settings) -> bool:
    """Stop a stack left running by ``roadlabel stack up``; False when none was recorded."""
    state_file = settings.home / "stack.json"
    if not state_file.exists():
        return False
    state = json.loads(state_file.read_text())
    s3_pid = state["pids"].get("s3")
    if s3_pid is not None and process_alive(s3_pid):
        os.killpg(s3_pid, signal.SIGTERM)
        _wait_gone(s3_pid)
    if state.get("postgres_dir"):
        EmbeddedPostgres(Path(state["postgres_dir"])).stop()
    state_file.unlink()
    return True


def _wait_gone(pid: int, grace_s: float = 3.0) -> None:
    """Wait for a stopped process group; kill it after ``grace_s`` (weed idles ~15 s on
    SIGTERM, and a `stack up` right after must find its ports and data directory free)."""
    deadline = time.monotonic() + grace_s
    while process_alive(pid):
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5.0
        time.sleep(0.05)


def _check_s3(s3: S3Settings) -> None:
    """Fail fast, in one line, when a configured S3 endpoint does not answer."""
    import socket

    from roadlabel.errors import ServiceUnavailable
    from roadlabel.objectstore import MinioStore

    host, _, port = (s3.endpoint or "").rpartition(":")
    try:
        socket.create_connection((host or s3.endpoint or "", int(port or 443)), timeout=5).close()
    except (OSError, ValueError) as exc:
        raise ServiceUnavailable(
            f"cannot reach S3 at {s3.endpoint} ({exc.__class__.__name__})",
            "check ROADLABEL_S3_ENDPOINT, or unset it to use the embedded SeaweedFS",
        ) from None
    MinioStore(s3).ensure_bucket()
