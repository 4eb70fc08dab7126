"""A loopback cluster for load and chaos programs: embedded PostgreSQL and S3, N replicas.

Replicas are real `roadlabel serve` processes (`python -m roadlabel.cli.main serve`) sharing
one database and one S3 endpoint, so a replica can be killed with SIGKILL and restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol

import asyncpg

from roadlabel.embedded import EmbeddedPostgres, EmbeddedS3, free_port
from roadlabel.errors import ServiceUnavailable

REPO = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, reaped_children: bool = False) -> float:
    """User + system CPU seconds of one process (0.0 when it is gone).

    With reaped_children, adds the CPU of children it has waited for (PostgreSQL backends
    that already exited are counted in their postmaster's cutime/cstime).
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def children_of(pid: int) -> list[int]:
    """Direct children of a process, from /proc."""
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if ppid == pid:
            kids.append(int(entry.name))
    return kids


SERVE_COMMAND = (sys.executable, "-m", "roadlabel.cli.main", "serve", "--no-migrate",
                 "--no-reflection")


@dataclass
class ReplicaProcess:
    """One `roadlabel serve` child process (or another server, given its command)."""

    port: int
    env: dict[str, str]
    log: Path
    command: tuple[str, ...] = SERVE_COMMAND
    proc: subprocess.Popen[bytes] | None = None
    cpu_of_dead: float = 0.0  # CPU seconds of earlier incarnations (killed ones)

    def start(self) -> None:
        """Spawn the process (in its own session, so a kill reaches only it)."""
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                list(self.command), env=self.env, stdout=out, stderr=subprocess.STDOUT,
                cwd=REPO, start_new_session=True)

    def cpu(self) -> float:
        """CPU seconds used by every incarnation so far."""
        alive = cpu_seconds(self.proc.pid) if self.proc and self.proc.poll() is None else 0.0
        return self.cpu_of_dead + alive

    def kill9(self) -> None:
        """SIGKILL, as a crash would."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.cpu_of_dead += cpu_seconds(self.proc.pid)
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (graceful drain), SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.cpu_of_dead += cpu_seconds(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Wait until the gRPC port accepts connections."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise ServiceUnavailable(f"replica on :{self.port} exited "
                                         f"with {self.proc.returncode}", f"see {self.log}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            time.sleep(0.1)
        raise ServiceUnavailable(f"replica on :{self.port} did not start", f"see {self.log}")


def start_all(procs: list[ReplicaProcess]) -> None:
    """Start every process, then wait until each accepts connections."""
    for p in procs:
        p.start()
    for p in procs:
        p.wait_ready()


@dataclass
class Cluster:
    """Embedded PostgreSQL + S3 and replicas, all on loopback under a temporary directory."""

    replicas: int = 2
    lease_ttl_s: float = 60.0
    qa_sample_rate: float = 0.0
    extra_sql: Path | None = None  # applied after the migrations (to try a schema change)
    pg_socket: bool = False  # replicas reach PostgreSQL over its Unix socket (same host)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rl-load-")))
    pg: EmbeddedPostgres | None = None
    s3: EmbeddedS3 | None = None
    procs: list[ReplicaProcess] = field(default_factory=list)

    @property
    def database_url(self) -> str:
        """URL of the shared database."""
        assert self.pg is not None
        return self.pg.url

    @property
    def targets(self) -> list[str]:
        """host:port of every replica."""
        return [f"127.0.0.1:{p.port}" for p in self.procs]

    def __enter__(self) -> Cluster:
        try:
            self.pg = EmbeddedPostgres(self.root / "pg")
            self.pg.start()
            self.s3 = EmbeddedS3(self.root / "s3", bucket="roadlabel-load")
            self.s3.start()
            asyncio.run(_migrate(self.database_url, self.extra_sql))
            for i in range(self.replicas):
                port = free_port()
                env = {**self._env(), "ROADLABEL_SCHEDULER_PORT": str(port)}
                self.procs.append(ReplicaProcess(port, env, self.root / f"r{i}.log"))
            start_all(self.procs)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop every process this cluster started, then remove its directory."""
        for p in self.procs:
            p.stop()
        if self.s3 is not None:
            self.s3.stop()
            self.s3 = None
        if self.pg is not None:
            self.pg.stop("immediate")
            self.pg = None
        subprocess.run(["rm", "-rf", str(self.root)], check=False)

    def _env(self) -> dict[str, str]:
        assert self.pg is not None and self.s3 is not None
        s3 = self.s3.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROADLABEL_")}
        env.update({
            "ROADLABEL_HOME": str(self.root / "home"),
            "ROADLABEL_DATABASE_URL": self.pg.socket_url if self.pg_socket else self.database_url,
            "ROADLABEL_S3_ENDPOINT": s3.endpoint or "",
            "ROADLABEL_S3_ACCESS_KEY": s3.access_key,
            "ROADLABEL_S3_SECRET_KEY": s3.secret_key,
            "ROADLABEL_S3_BUCKET": s3.bucket,
            "ROADLABEL_METRICS_PORT": "0",
            "ROADLABEL_LEASE_TTL_S": str(self.lease_ttl_s),
            "ROADLABEL_QA_SAMPLE_RATE": str(self.qa_sample_rate),
            "PYTHONPATH": str(REPO),
        })
        return env

    def scheduler_cpu(self) -> float:
        """CPU seconds of all replica processes (every incarnation)."""
        return sum(p.cpu() for p in self.procs)

    def postgres_cpu(self) -> float:
        """CPU seconds of the live PostgreSQL server and its backends."""
        assert self.pg is not None
        pid_file = self.pg.data_dir / "postmaster.pid"
        try:
            master = int(pid_file.read_text().splitlines()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return 0.0
        return cpu_seconds(master, reaped_children=True) + sum(cpu_seconds(c) for c in children_of(master))


class Replicas(Protocol):
    """What the load driver needs of a set of running servers."""

    @property
    def targets(self) -> list[str]:
        """host:port of every replica."""

    def scheduler_cpu(self) -> float:
        """CPU seconds of the server processes."""

    def postgres_cpu(self) -> float:
        """CPU seconds of their database (0 without one)."""


@dataclass
class BareCluster:
    """Replicas of loadtests._bare_grpc (no database): the gRPC ceiling on these cores."""

    replicas: int = 2
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rl-bare-")))
    procs: list[ReplicaProcess] = field(default_factory=list)

    @property
    def targets(self) -> list[str]:
        """host:port of every replica."""
        return [f"127.0.0.1:{p.port}" for p in self.procs]

    def __enter__(self) -> BareCluster:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        try:
            for i in range(self.replicas):
                port = free_port()
                command = (sys.executable, "-m", "loadtests._bare_grpc", "--port", str(port))
                self.procs.append(ReplicaProcess(port, env, self.root / f"bare{i}.log", command))
            start_all(self.procs)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the servers and remove the directory."""
        for p in self.procs:
            p.stop()
        subprocess.run(["rm", "-rf", str(self.root)], check=False)

    def scheduler_cpu(self) -> float:
        """CPU seconds of the bare servers."""
        return sum(p.cpu() for p in self.procs)

    def postgres_cpu(self) -> float:
        """No database."""
        return 0.0


async def _migrate(url: str, extra_sql: Path | None) -> None:
    from scheduler.migrator import migrate

    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        if extra_sql is not None:
            await conn.execute(extra_sql.read_text())
    finally:
        await conn.close()
