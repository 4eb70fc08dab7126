"""Integration tier: real PostgreSQL, SeaweedFS S3, Ray and gRPC on loopback.

Services start once per session; each test gets a fresh database cloned from a migrated
template, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from roadlabel.config import S3Settings
from roadlabel.embedded import EmbeddedPostgres, EmbeddedS3

TEMPLATE = "roadlabel_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """One PostgreSQL server for the session, with a migrated template database."""
    server = EmbeddedPostgres(tmp_path_factory.mktemp("pg") / "data")
    server.start()
    asyncio.run(_make_template(server))
    yield server
    server.stop("immediate")


async def _make_template(server: EmbeddedPostgres) -> None:
    from scheduler.migrator import migrate

    conn = await asyncpg.connect(server.url_for("postgres"))
    await conn.execute(f"CREATE DATABASE {TEMPLATE}")
    await conn.close()
    conn = await asyncpg.connect(server.url_for(TEMPLATE))
    await migrate(conn)
    await conn.close()


@pytest.fixture
def database_url(pg_server: EmbeddedPostgres) -> Iterator[str]:
    """URL of a fresh, migrated database for this test alone."""
    name = f"t{next(_counter)}"

    async def create() -> None:
        conn = await asyncpg.connect(pg_server.url_for("postgres"))
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        await conn.close()

    asyncio.run(create())
    yield pg_server.url_for(name)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedS3]:
    """One SeaweedFS S3 endpoint for the session."""
    server = EmbeddedS3(tmp_path_factory.mktemp("s3"), bucket="roadlabel-test")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3_settings(s3_server: EmbeddedS3) -> S3Settings:
    """Client settings of the session's S3 endpoint."""
    return s3_server.settings


@pytest.fixture(scope="session")
def ray_local() -> Iterator[Any]:
    """A local Ray for the session (2 CPUs, no dashboard)."""
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def run(coro: Any) -> Any:
    """Run a coroutine to completion in a fresh loop (tests are plain functions)."""
    return asyncio.run(coro)


async def aiter_to_list(it: AsyncIterator[Any]) -> list[Any]:
    """Collect an async iterator."""
    return [x async for x in it]


__all__ = ["Path", "aiter_to_list", "run"]
