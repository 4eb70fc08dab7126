"""``roadlabel stack up|down``: keep the embedded services running between commands."""

from __future__ import annotations

import argparse

from roadlabel.cli import _runtime
from roadlabel.embedded import Stack
from roadlabel.embedded.stack import stop_recorded


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("stack", help="start or stop the embedded PostgreSQL and S3")
    p.add_argument("action", choices=("up", "down"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start (recording endpoints) or stop the embedded stack."""
    settings = _runtime.settings()
    if args.action == "down":
        print("stopped" if stop_recorded(settings) else "no embedded stack was running")
        return 0
    with Stack(settings, keep_running=True) as ep:
        print(f"ROADLABEL_DATABASE_URL={ep.database_url}")
        print(f"ROADLABEL_S3_ENDPOINT={ep.s3.endpoint}")
    return 0
