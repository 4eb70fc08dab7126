"""``roadlabel batch create ID --project P``: a batch that ingested sequences are registered into."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from roadlabel.cli import _runtime
from roadlabel.errors import UserError

MAX_DEADLINE_H = 366 * 24.0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("batch", help="manage batches")
    bsub = p.add_subparsers(dest="batch_command", required=True, metavar="ACTION")
    c = bsub.add_parser("create", help="create a batch of a project (idempotent)")
    c.add_argument("batch_id")
    c.add_argument("--project", required=True, help="the project the batch belongs to")
    c.add_argument("--deadline", default="24h",
                   help="SLA: time from now until every task is accepted, such as 24h, 90m, "
                        "2d (default 24h)")
    c.add_argument("--priority", type=int, default=0,
                   help="leases go to higher priorities first (default 0)")
    c.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Create the batch; say whether it was new."""
    from roadlabel.capacity import parse_duration_hours
    from scheduler.admin import create_batch

    hours = parse_duration_hours(args.deadline)
    if hours > MAX_DEADLINE_H:
        raise UserError(f"--deadline {args.deadline} is more than a year away",
                        "give a turnaround such as 24h or 14d")
    deadline = datetime.now(UTC) + timedelta(hours=hours)
    created, row = _runtime.with_database(
        lambda pool: create_batch(pool, args.batch_id, args.project, deadline, args.priority),
        "create it first with roadlabel project create")
    state = "created" if created else "exists already (left as it was)"
    print(f"batch {args.batch_id} of project {row['project_id']}: {state}; "
          f"deadline {row['deadline']:%Y-%m-%d %H:%M} UTC, priority {row['priority']}")
    return 0
