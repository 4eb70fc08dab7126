"""Migrations: applying them all gives the expected schema; applying twice is a no-op.
The embedded server also answers on its Unix socket."""

from __future__ import annotations

import asyncpg

from roadlabel.embedded import EmbeddedPostgres
from scheduler.migrator import available, migrate
from tests.integration.conftest import run

SCHEMA_QUERY = """
SELECT table_name, column_name, data_type, is_nullable, column_default
FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL
SELECT 'index', indexname, indexdef, '', '' FROM pg_indexes WHERE schemaname = 'public'
UNION ALL
SELECT 'function', p.proname, pg_get_function_arguments(p.oid), '', ''
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
ORDER BY 1, 2, 3
"""


async def _schema(url: str) -> list[tuple[str, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(map(str, r)) for r in await conn.fetch(SCHEMA_QUERY)]
    finally:
        await conn.close()


def test_migrate_twice_is_a_no_op_and_matches_a_fresh_install(pg_server: EmbeddedPostgres,
                                                             database_url: str) -> None:
    async def scenario() -> None:
        admin = await asyncpg.connect(pg_server.url_for("postgres"))
        await admin.execute("CREATE DATABASE fresh_install")
        await admin.close()
        fresh = await asyncpg.connect(pg_server.url_for("fresh_install"))
        applied = await migrate(fresh)
        again = await migrate(fresh)
        await fresh.close()
        assert applied == [m.version for m in available()]
        assert again == []
        # The per-test database came from the template, migrated the same way earlier.
        assert await _schema(pg_server.url_for("fresh_install")) == await _schema(database_url)

    run(scenario())


def test_cost_ledger_is_append_only(database_url: str) -> None:
    async def scenario() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute("INSERT INTO cost_ledger (kind, seconds, cost) VALUES ('x', 1, 2)")
            try:
                await conn.execute("UPDATE cost_ledger SET cost = 0")
            except asyncpg.RaiseError as exc:
                assert "append-only" in str(exc)
            else:
                raise AssertionError("ledger row was updated")
        finally:
            await conn.close()

    run(scenario())


def test_embedded_server_is_reachable_over_its_unix_socket(pg_server: EmbeddedPostgres) -> None:
    async def scenario() -> None:
        conn = await asyncpg.connect(pg_server.socket_url)
        try:
            row = await conn.fetchrow("SELECT current_database() AS db, inet_server_addr() AS addr")
        finally:
            await conn.close()
        assert row["db"] == "roadlabel" and row["addr"] is None  # no TCP address: a socket

    run(scenario())
