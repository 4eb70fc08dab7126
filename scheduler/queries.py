"""The scheduler's SQL, loaded once from the .sql files in scheduler/sql/ by name."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_HEADER = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)


@cache
def all_queries() -> dict[str, str]:
    """Every named query of every .sql file in scheduler/sql/."""
    out: dict[str, str] = {}
    for entry in sorted(resources.files("scheduler.sql").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        parts = _HEADER.split(entry.read_text())
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in out:
                raise RuntimeError(f"query {name!r} is defined twice (again in {entry.name})")
            out[name] = body.strip()
    return out


def q(name: str) -> str:
    """The SQL of one named query."""
    return all_queries()[name]
