"""The scheduler's SQL, loaded once from sql/queries.sql by name."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_HEADER = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)


@cache
def all_queries() -> dict[str, str]:
    """Every named query in queries.sql."""
    text = resources.files("scheduler.sql").joinpath("queries.sql").read_text()
    parts = _HEADER.split(text)
    out: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in out:
            raise RuntimeError(f"query {name!r} is defined twice in queries.sql")
        out[name] = body.strip()
    return out


def q(name: str) -> str:
    """The SQL of one named query."""
    return all_queries()[name]
