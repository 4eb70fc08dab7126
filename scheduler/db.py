"""The one asyncpg pool per process, and translation of driver errors into domain errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg

from roadlabel.errors import ServiceUnavailable
from scheduler.errors import (
    AlreadyExists,
    IllegalTransition,
    InvalidArgument,
    LeaseLost,
    NotYourLease,
    Retryable,
    SchedulerError,
    StaleContext,
    VersionConflict,
)


def _key_reused(message: str) -> SchedulerError:
    return InvalidArgument([("idempotency_key", message)])


def _unstorable(message: str) -> SchedulerError:
    # A backstop: validation refuses such values first, naming the field.
    return InvalidArgument([("request", f"a value cannot be stored: {message}")])


_SQLSTATE: dict[str, Callable[[str], SchedulerError]] = {
    "RL001": LeaseLost,
    "RL002": VersionConflict,
    "RL003": NotYourLease,
    "RL004": IllegalTransition,
    "RL005": StaleContext,
    "RL006": _key_reused,
    "22P02": _unstorable,  # invalid_text_representation: NaN or Infinity in JSON
    "22P05": _unstorable,  # untranslatable_character: \u0000 in JSON
    "22021": _unstorable,  # character_not_in_repertoire: NUL in text
    "23505": AlreadyExists,  # unique_violation
}


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=json.dumps, decoder=json.loads,
                                  schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Pool reset hook: nothing to undo. The scheduler never changes session state (no SET,
    LISTEN or session advisory locks), and asyncpg still rolls back an open transaction; the
    default reset would cost a round trip on every release."""


async def create_pool(url: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """Open the process's pool; raise ServiceUnavailable with a hint when unreachable."""
    try:
        pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size,
                                         init=_init_connection, reset=_keep_session, timeout=10,
                                         command_timeout=30)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ServiceUnavailable(
            f"cannot connect to PostgreSQL at {_redact(url)} ({type(exc).__name__}: {exc})",
            "check ROADLABEL_DATABASE_URL, or unset it to use the embedded PostgreSQL",
        ) from exc
    assert pool is not None
    return pool


def _redact(url: str) -> str:
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':')[0]}:***@{host}"


_TRANSIENT = (
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.CannotConnectNowError,
    asyncpg.PostgresConnectionError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    ConnectionError,
    OSError,
)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Map RLxxx and client-caused SQLSTATEs to domain errors, transient failures to
    Retryable."""
    try:
        yield
    except _TRANSIENT as exc:
        raise Retryable(f"database busy or restarting ({type(exc).__name__}); retry") from exc
    except asyncpg.PostgresError as exc:
        kind = _SQLSTATE.get(getattr(exc, "sqlstate", "") or "")
        if kind is None:
            raise
        detail = getattr(exc, "detail", None)
        raise kind(f"{exc} ({detail})" if detail else str(exc)) from exc


@asynccontextmanager
async def connection(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection for one request, with domain errors translated."""
    with domain_errors():
        async with pool.acquire() as conn:
            yield conn
