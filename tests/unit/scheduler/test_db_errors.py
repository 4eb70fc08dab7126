"""Driver errors a client can cause become domain errors with a status, never UNKNOWN."""

from __future__ import annotations

import asyncpg
import pytest

from scheduler.db import domain_errors
from scheduler.errors import AlreadyExists, InvalidArgument, SchedulerError


@pytest.mark.parametrize(("error", "kind", "fields"), [
    (asyncpg.exceptions.InvalidTextRepresentationError("Token NaN is invalid"),
     InvalidArgument, ["request"]),
    (asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence: 0x00"),
     InvalidArgument, ["request"]),
    (asyncpg.exceptions.UntranslatableCharacterError("unsupported Unicode escape"),
     InvalidArgument, ["request"]),
    (asyncpg.exceptions.RaiseError("this idempotency_key was already used"),
     InvalidArgument, ["idempotency_key"]),
    (asyncpg.exceptions.UniqueViolationError("duplicate key value"), AlreadyExists, None),
])
def test_client_caused_sqlstates_map_to_domain_errors(
        error: asyncpg.PostgresError, kind: type[SchedulerError],
        fields: list[str] | None) -> None:
    if isinstance(error, asyncpg.exceptions.RaiseError):
        error.sqlstate = "RL006"  # raised by rl_replay with its own SQLSTATE
    with pytest.raises(kind) as mapped, domain_errors():
        raise error
    if fields is not None:
        assert isinstance(mapped.value, InvalidArgument)
        assert [f for f, _ in mapped.value.violations] == fields
