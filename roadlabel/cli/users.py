"""``roadlabel users add NAME --role ROLE``: create a user and print their bearer token once."""

from __future__ import annotations

import argparse

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
    """Add the user; print the token."""
    from scheduler.admin import add_user

    token = _runtime.with_database(
        lambda pool: add_user(pool, args.name, args.role, args.project, args.skill,
                              args.hourly_rate),
        "check the name, role and projects")
    print(token)
    return 0
