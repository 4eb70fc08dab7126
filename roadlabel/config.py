"""Configuration from environment variables, with embedded defaults under one data directory.

Every variable is optional. When a service's variable is unset, the CLI starts an embedded
instance of that service on loopback under ``ROADLABEL_HOME`` (default ``./.roadlabel``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlparse

from roadlabel.errors import ConfigError

#: Every environment variable roadlabel reads, with its meaning. The README lists these.
ENV_VARS: dict[str, str] = {
    "ROADLABEL_HOME": "data directory for embedded services and local state (default ./.roadlabel)",
    "ROADLABEL_DATABASE_URL": "PostgreSQL URL; unset starts embedded PostgreSQL",
    "ROADLABEL_S3_ENDPOINT": "S3 endpoint host:port or URL; unset starts embedded SeaweedFS",
    "ROADLABEL_S3_ACCESS_KEY": "S3 access key (default roadlabel for the embedded store)",
    "ROADLABEL_S3_SECRET_KEY": "S3 secret key (default roadlabel-secret for the embedded store)",
    "ROADLABEL_S3_BUCKET": "bucket for frames and manifests (default roadlabel)",
    "ROADLABEL_S3_SECURE": "1 to use HTTPS towards S3 (default 0)",
    "ROADLABEL_S3_PUBLIC_ENDPOINT": "host:port or URL clients use for presigned frame URLs "
                                    "(default: ROADLABEL_S3_ENDPOINT)",
    "RAY_ADDRESS": "Ray cluster address; unset starts a local Ray",
    "ROADLABEL_LAKEFS_ENDPOINT": "lakeFS API URL; unset uses the embedded git repository",
    "ROADLABEL_LAKEFS_ACCESS_KEY": "lakeFS access key id",
    "ROADLABEL_LAKEFS_SECRET_KEY": "lakeFS secret access key",
    "ROADLABEL_LAKEFS_REPO": "lakeFS repository name (default roadlabel)",
    "ROADLABEL_LAKEFS_STORAGE_NAMESPACE": "where lakeFS stores a new repository (default s3://BUCKET/lakefs/REPO/)",
    "ROADLABEL_SCHEDULER_PORT": "port the scheduler listens on (default 50051; 0 picks a free one)",
    "ROADLABEL_SCHEDULER_HOST": "address the scheduler binds (default 127.0.0.1)",
    "ROADLABEL_LEASE_TTL_S": "lease time-to-live in seconds (default 60)",
    "ROADLABEL_METRICS_PORT": "port of the scheduler's Prometheus /metrics (default 9464; 0 picks one)",
    "ROADLABEL_TLS_CERT": "PEM file of the scheduler's TLS certificate (with ROADLABEL_TLS_KEY)",
    "ROADLABEL_TLS_KEY": "PEM file of the scheduler's TLS private key",
    "ROADLABEL_TLS_CLIENT_CA": "PEM file of the CA that signs client certificates (mutual TLS)",
    "ROADLABEL_TOKEN": "bearer token of an ops user, for ingest and prelabel --scheduler when "
                       "neither --token nor --token-file is given",
    "ROADLABEL_QA_SAMPLE_RATE": "share of reviewed tasks sent to QA (default 0.05)",
    "ROADLABEL_DOUBLE_ANNOTATION_RATE": "share of tasks annotated twice for agreement (default 0)",
}


@dataclass(frozen=True)
class S3Settings:
    """Where frames and manifests live."""

    endpoint: str | None
    access_key: str = "roadlabel"
    secret_key: str = "roadlabel-secret"
    bucket: str = "roadlabel"
    secure: bool = False
    public_endpoint: str | None = None

    def for_clients(self) -> S3Settings:
        """The settings annotation clients reach S3 with (for presigned URLs)."""
        if not self.public_endpoint:
            return self
        return replace(self, endpoint=self.public_endpoint, public_endpoint=None)


@dataclass(frozen=True)
class LakeFSSettings:
    """How to reach lakeFS, when it is the versioning backend."""

    endpoint: str
    access_key: str
    secret_key: str
    repository: str = "roadlabel"


@dataclass(frozen=True)
class Settings:
    """All settings of one roadlabel process."""

    home: Path
    database_url: str | None
    s3: S3Settings
    ray_address: str | None
    lakefs: LakeFSSettings | None
    scheduler_host: str = "127.0.0.1"
    scheduler_port: int = 50051
    lease_ttl_s: float = 60.0
    metrics_port: int = 9464
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    qa_sample_rate: float = 0.05
    double_annotation_rate: float = 0.0
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def git_repo_path(self) -> Path:
        """The embedded versioned dataset repository."""
        return self.home / "dataset.git"


def load(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment; raise ConfigError naming any malformed value."""
    env = os.environ if env is None else env
    home = Path(env.get("ROADLABEL_HOME", ".roadlabel")).expanduser().absolute()
    return Settings(
        home=home,
        database_url=_url(env, "ROADLABEL_DATABASE_URL", ("postgres", "postgresql")),
        s3=_s3(env),
        ray_address=env.get("RAY_ADDRESS") or None,
        lakefs=_lakefs(env),
        scheduler_host=env.get("ROADLABEL_SCHEDULER_HOST", "127.0.0.1"),
        scheduler_port=_int(env, "ROADLABEL_SCHEDULER_PORT", 50051, 0, 65535),
        lease_ttl_s=_float(env, "ROADLABEL_LEASE_TTL_S", 60.0, 1.0, 86400.0),
        metrics_port=_int(env, "ROADLABEL_METRICS_PORT", 9464, 0, 65535),
        tls_cert=_file(env, "ROADLABEL_TLS_CERT"),
        tls_key=_file(env, "ROADLABEL_TLS_KEY"),
        tls_client_ca=_file(env, "ROADLABEL_TLS_CLIENT_CA"),
        qa_sample_rate=_float(env, "ROADLABEL_QA_SAMPLE_RATE", 0.05, 0.0, 1.0),
        double_annotation_rate=_float(env, "ROADLABEL_DOUBLE_ANNOTATION_RATE", 0.0, 0.0, 1.0),
        extra={k: v for k, v in env.items() if k == "ROADLABEL_LAKEFS_STORAGE_NAMESPACE"},
    )


def check_tls(settings: Settings) -> None:
    """TLS needs both certificate and key; mutual TLS also needs them."""
    if (settings.tls_cert is None) != (settings.tls_key is None) or (
            settings.tls_client_ca is not None and settings.tls_cert is None):
        raise ConfigError("TLS is half configured",
                          "set ROADLABEL_TLS_CERT and ROADLABEL_TLS_KEY together "
                          "(and ROADLABEL_TLS_CLIENT_CA only with them)")


def _file(env: Mapping[str, str], name: str) -> Path | None:
    raw = env.get(name)
    if not raw:
        return None
    path = Path(raw)
    if not path.is_file():
        raise ConfigError(f"{name}={raw!r} is not a readable file", "point it at a PEM file")
    return path


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    value = env.get(name)
    if not value:
        return None
    scheme = urlparse(value).scheme
    if scheme not in schemes:
        raise ConfigError(
            f"{name}={value!r} is not a {schemes[0]} URL",
            f"set it like {schemes[0]}://user:password@host:5432/dbname or unset it",
        )
    return value


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    return int(_number(env, name, default, lo, hi, int, "an integer"))


def _float(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    return float(_number(env, name, default, lo, hi, float, "a number"))


def _number(env: Mapping[str, str], name: str, default: float, lo: float, hi: float,
            kind: type[int] | type[float], what: str) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not {what}", f"set it to a number {lo}..{hi}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name}={value} is out of range", f"set it to a number {lo}..{hi}")
    return value


def _s3(env: Mapping[str, str]) -> S3Settings:
    endpoint = env.get("ROADLABEL_S3_ENDPOINT") or None
    secure = env.get("ROADLABEL_S3_SECURE", "0")
    if secure not in ("0", "1"):
        raise ConfigError(f"ROADLABEL_S3_SECURE={secure!r} is not 0 or 1", "set it to 0 or 1")
    if endpoint and "://" in endpoint:
        parsed = urlparse(endpoint)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(
                f"ROADLABEL_S3_ENDPOINT={endpoint!r} is not an http(s) URL or host:port",
                "set it like 127.0.0.1:9000 or https://s3.example.com",
            )
        secure = "1" if parsed.scheme == "https" else secure
        endpoint = parsed.netloc
    return S3Settings(
        endpoint=endpoint,
        access_key=env.get("ROADLABEL_S3_ACCESS_KEY", "roadlabel"),
        secret_key=env.get("ROADLABEL_S3_SECRET_KEY", "roadlabel-secret"),
        bucket=env.get("ROADLABEL_S3_BUCKET", "roadlabel"),
        secure=secure == "1",
        public_endpoint=_public_endpoint(env),
    )


def _public_endpoint(env: Mapping[str, str]) -> str | None:
    raw = env.get("ROADLABEL_S3_PUBLIC_ENDPOINT") or None
    if raw and "://" in raw:
        parsed = urlparse(raw)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(f"ROADLABEL_S3_PUBLIC_ENDPOINT={raw!r} is not an http(s) URL",
                              "set it like https://frames.example.com or host:port")
        return parsed.netloc
    return raw


def _lakefs(env: Mapping[str, str]) -> LakeFSSettings | None:
    endpoint = env.get("ROADLABEL_LAKEFS_ENDPOINT")
    if not endpoint:
        return None
    _url(env, "ROADLABEL_LAKEFS_ENDPOINT", ("http", "https"))
    key, secret = env.get("ROADLABEL_LAKEFS_ACCESS_KEY"), env.get("ROADLABEL_LAKEFS_SECRET_KEY")
    if not key or not secret:
        raise ConfigError(
            "ROADLABEL_LAKEFS_ENDPOINT is set without ROADLABEL_LAKEFS_ACCESS_KEY/SECRET_KEY",
            "set both credentials or unset the endpoint to use the embedded git repository",
        )
    return LakeFSSettings(endpoint, key, secret, env.get("ROADLABEL_LAKEFS_REPO", "roadlabel"))
