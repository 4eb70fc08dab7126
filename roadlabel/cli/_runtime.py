"""What several subcommands share: settings, the stack, a pool, asyncio entry."""

from __future__ import annotations

import asyncio
import logging
import os
import warnings
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from roadlabel import config
from roadlabel.errors import UserError

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


def with_database(work: Callable[[Any], Awaitable[T]], hint: str) -> T:
    """Run ``work(pool)`` on the configured (or embedded) PostgreSQL, migrated first; a
    scheduler domain error becomes a UserError carrying ``hint``."""
    from roadlabel.embedded import Stack
    from scheduler.errors import SchedulerError

    with Stack(settings(), need_s3=False) as ep:
        async def go() -> T:
            pool = await migrated_pool(ep.database_url)
            try:
                return await work(pool)
            finally:
                await pool.close()

        try:
            return run(go())
        except SchedulerError as exc:
            raise UserError(str(exc), hint) from None


def read_token(token: str | None, token_file: Path | None) -> str | None:
    """The bearer token given inline, in a file or in ROADLABEL_TOKEN (a file or the
    environment keep it out of process lists and job specs)."""
    if token_file is None:
        if token is not None and not token.strip():
            raise UserError("--token is empty", "pass the token `roadlabel users add` printed")
        return token if token is not None else (os.environ.get("ROADLABEL_TOKEN") or None)
    try:
        text = token_file.read_text().strip()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not text"
        raise UserError(f"cannot read the token file {token_file} ({why})",
                        "pass a readable file holding the token") from None
    if not text:
        raise UserError(f"the token file {token_file} is empty",
                        "write the token `roadlabel users add` printed into it")
    return text
