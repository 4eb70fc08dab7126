"""Administration: projects with versioned ontologies, users with hashed bearer tokens, batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from roadlabel.ontology import Ontology
from scheduler.auth import hash_token, new_token
from scheduler.db import connection
from scheduler.errors import InvalidArgument, NotFound
from scheduler.queries import q

ROLES = ("annotator", "reviewer", "qa", "ops", "admin")


async def create_project(pool: asyncpg.Pool, project_id: str, ontology: Ontology) -> str:
    """Create or update a project; its ontology and guideline versions travel with labels."""
    async with connection(pool) as conn:
        result: str = await conn.fetchval(
            q("upsert_project"), project_id, ontology.name, ontology.raw,
            ontology.version, ontology.guideline_url, ontology.guideline_version)
    return result


async def add_user(pool: asyncpg.Pool, user_id: str, role: str, projects: list[str],
                   skills: list[str] | None = None, hourly_rate: float = 0.0) -> str:
    """Create a user (or rotate their token); return the new token, shown only once."""
    if role not in ROLES:
        raise InvalidArgument([("role", f"'{role}' is not one of {', '.join(ROLES)}")])
    token = new_token()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("insert_user"), user_id, role, hash_token(token), skills or [],
                           hourly_rate)
        for project in projects:
            if await conn.fetchrow(q("get_project"), project) is None:
                raise NotFound(f"project '{project}' does not exist; create it first")
            await conn.execute(q("add_member"), project, user_id)
    return token


async def create_batch(pool: asyncpg.Pool, batch_id: str, project_id: str, deadline: datetime,
                       priority: int) -> tuple[bool, dict[str, Any]]:
    """Create a batch of a project (its SLA deadline and lease priority), unless it exists;
    returns whether it was new and the batch as stored."""
    async with connection(pool) as conn:
        try:
            created = await conn.fetchval(q("create_batch"), batch_id, project_id, deadline,
                                          priority)
        except asyncpg.ForeignKeyViolationError:
            raise NotFound(f"project '{project_id}' does not exist") from None
        row = await conn.fetchrow(q("batch_row"), batch_id)
    return created is not None, dict(row)
