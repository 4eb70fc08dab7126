"""``roadlabel users add NAME --role ROLE``: create a user and print their bearer token once."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from roadlabel.cli import _runtime


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("users", help="manage users and their tokens")
    usub = p.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    a = usub.add_parser("add", help="add a user (or rotate their token)")
    a.add_argument("name")
    a.add_argument("--role", required=True,
                   choices=("annotator", "reviewer", "qa", "ops", "admin"))
    a.add_argument("--project", action="append", default=[], help="project to join (repeatable)")
    a.add_argument("--skill", action="append", default=[], help="skill offered (repeatable)")
    a.add_argument("--hourly-rate", type=float, default=0.0)
    a.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Add the user; print the token (and, on stderr, what changed for an existing user)."""
    from scheduler.admin import add_user, user_role

    async def work(pool: Any) -> tuple[str | None, str]:
        before = await user_role(pool, args.name)
        return before, await add_user(pool, args.name, args.role, args.project, args.skill,
                                      args.hourly_rate)

    before, token = _runtime.with_database(work, "check the name, role and projects")
    print(token)
    if before is not None:
        change = f"; role {before} -> {args.role}" if before != args.role else ""
        print(f"note: user {args.name} existed: token rotated (the old one stops working "
              f"within 30 s){change}", file=sys.stderr)
    return 0
