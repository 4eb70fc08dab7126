"""``roadlabel db migrate``: apply the PostgreSQL schema migrations (safe to run twice)."""

from __future__ import annotations

import argparse

from roadlabel.cli import _runtime
from roadlabel.embedded import Stack


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("db", help="database administration")
    dbsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    m = dbsub.add_parser("migrate", help="apply missing schema migrations")
    m.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Apply migrations; print which were applied."""
    from scheduler.db import create_pool
    from scheduler.migrator import migrate

    settings = _runtime.settings()
    with Stack(settings, need_s3=False) as ep:
        async def go() -> list[int]:
            pool = await create_pool(ep.database_url, max_size=1)
            try:
                async with pool.acquire() as conn:
                    return await migrate(conn)
            finally:
                await pool.close()

        applied = _runtime.run(go())
    print(f"applied migrations {applied}" if applied else "schema is up to date")
    return 0
