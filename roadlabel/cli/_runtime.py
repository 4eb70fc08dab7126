"""What several subcommands share: settings, the stack, a pool, asyncio entry."""

from __future__ import annotations

import asyncio
import logging
import os
import warnings
from collections.abc import Coroutine
from typing import Any, TypeVar

from roadlabel import config

T = TypeVar("T")


def quiet() -> None:
    """Keep library chatter off the user's terminal."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def settings() -> config.Settings:
    """Settings from the environment (raises ConfigError on malformed values)."""
    quiet()
    return config.load()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine as the process's event loop."""
    return asyncio.run(coro)


async def migrated_pool(database_url: str) -> Any:
    """A one-connection pool on a database whose schema is up to date (migrated if needed)."""
    from scheduler.db import create_pool
    from scheduler.migrator import migrate

    pool = await create_pool(database_url, max_size=1)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
    except BaseException:
        await pool.close()
        raise
    return pool
