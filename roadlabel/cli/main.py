"""Entry point: one subcommand per module in this package, each exposing ``register``.

A subcommand module defines ``register(subparsers)`` which adds its parser and sets
``func=run`` where ``run(args) -> int``. User errors (``UserError``) become one line on
stderr and exit status 2; nothing else is caught here, so bugs still show their traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from roadlabel.errors import UserError

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = (
    "demo",
    "db",
    "serve",
    "stack",
    "ingest",
    "prelabel",
    "project",
    "batch",
    "users",
    "gold",
    "publish",
    "merge_nightly",
    "images",
    "status",
    "report",
    "plan",
)


def build_parser() -> argparse.ArgumentParser:
    """The full parser with every available subcommand."""
    parser = argparse.ArgumentParser(
        prog="roadlabel",
        description="roadlabel: distributed video annotation for autonomous-driving data. "
                    "With nothing configured, commands start embedded PostgreSQL, S3 and Ray "
                    "under ./.roadlabel (see the README for the environment variables).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"roadlabel.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"roadlabel.cli.{name}":
                continue  # not built yet in this checkout
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UserError as exc:
        print(exc.line(), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
