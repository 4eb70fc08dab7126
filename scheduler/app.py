"""Assembling a replica from settings: pool, migrations, object store, QA and the server."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import asyncpg

import qa
from roadlabel.labels import LabelDocument
from scheduler.db import create_pool
from scheduler.migrator import migrate
from scheduler.server import SchedulerServer, ServerOptions
from scheduler.service import Presigner, SchedulerConfig, SchedulerService


def inline_qa(profile: qa.QAProfile = qa.DEFAULT_PROFILE) -> Any:
    """The QA hook run at Submit: findings of the profile's checks, as JSON-able dicts."""

    def check(doc: LabelDocument) -> list[dict[str, Any]]:
        return [dataclasses.asdict(f) for f in qa.check_document(doc, profile)]

    return check


@dataclass
class Replica:
    """A started replica and what it owns."""

    server: SchedulerServer
    pool: asyncpg.Pool
    port: int

    async def stop(self) -> None:
        """Drain and stop the server, then close the pool."""
        await self.server.stop()
        await self.pool.close()


async def start_replica(database_url: str, presigner: Presigner, options: ServerOptions,
                        cfg: SchedulerConfig | None = None, run_migrations: bool = True,
                        pool_size: int = 10) -> Replica:
    """Open the pool, migrate if asked, start serving; return the running replica."""
    pool = await create_pool(database_url, max_size=pool_size)
    try:
        if run_migrations:
            async with pool.acquire() as conn:
                await migrate(conn)
        service = SchedulerService(pool, presigner, cfg or SchedulerConfig(), inline_qa())
        server = SchedulerServer(service, pool, options)
        port = await server.start()
    except BaseException:
        await pool.close()
        raise
    return Replica(server, pool, port)
