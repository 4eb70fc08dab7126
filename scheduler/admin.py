"""Administration: projects with versioned ontologies, users with hashed bearer tokens, batches."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

import asyncpg

from roadlabel.ontology import Ontology
from scheduler.auth import hash_token, new_token
from scheduler.db import connection
from scheduler.errors import InvalidArgument, NotFound
from scheduler.queries import q

ROLES = ("annotator", "reviewer", "qa", "ops", "admin")
# Ids become parts of task ids (batch/sequence/range), object paths and dataset branch names
# (batch-<id>; lakeFS allows letters, digits, '_' and '-'): checked once, where they are made.
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
PRIORITY_RANGE = (-1_000_000, 1_000_000)


def check_id(field: str, value: str) -> str:
    """``value`` if usable as a project or batch id; else InvalidArgument naming the rule."""
    if not ID.fullmatch(value):
        raise InvalidArgument([(field, f"{value!r} must be 1-63 letters, digits, '_' or '-', "
                                       "starting with a letter or digit")])
    return value


async def create_project(pool: asyncpg.Pool, project_id: str, ontology: Ontology) -> str:
    """Create or update a project; its ontology and guideline versions travel with labels."""
    check_id("project_id", project_id)
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
    if not (math.isfinite(hourly_rate) and hourly_rate >= 0):
        raise InvalidArgument([("hourly_rate", f"{hourly_rate} is not a finite rate >= 0")])
    token = new_token()
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(q("insert_user"), user_id, role, hash_token(token), skills or [],
                           hourly_rate)
        for project in projects:
            if await conn.fetchrow(q("get_project"), project) is None:
                raise NotFound(f"project '{project}' does not exist; create it first")
            await conn.execute(q("add_member"), project, user_id)
    return token


async def user_role(pool: asyncpg.Pool, user_id: str) -> str | None:
    """The role of an existing user; None when there is no such user."""
    async with connection(pool) as conn:
        role: str | None = await conn.fetchval(q("user_role"), user_id)
    return role


async def create_batch(pool: asyncpg.Pool, batch_id: str, project_id: str, deadline: datetime,
                       priority: int) -> tuple[bool, dict[str, Any]]:
    """Create a batch of a project (its SLA deadline and lease priority), unless it exists;
    returns whether it was new and the batch as stored."""
    check_id("batch_id", batch_id)
    low, high = PRIORITY_RANGE
    if not low <= priority <= high:
        raise InvalidArgument([("priority", f"{priority} is outside [{low}, {high}]")])
    async with connection(pool) as conn:
        try:
            created = await conn.fetchval(q("create_batch"), batch_id, project_id, deadline,
                                          priority)
        except asyncpg.ForeignKeyViolationError:
            raise NotFound(f"project '{project_id}' does not exist") from None
        row = await conn.fetchrow(q("batch_row"), batch_id)
    return created is not None, dict(row)
