"""``roadlabel project create ID --ontology FILE``: a project with a versioned ontology."""

from __future__ import annotations

import argparse
from pathlib import Path

from roadlabel.cli import _runtime


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("project", help="manage projects")
    psub = p.add_subparsers(dest="project_command", required=True, metavar="ACTION")
    c = psub.add_parser("create", help="create or update a project")
    c.add_argument("project_id")
    c.add_argument("--ontology", type=Path, help="ontology JSON (default: the built-in one)")
    c.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Create the project; print its ontology version."""
    from roadlabel import ontology
    from scheduler.admin import create_project

    onto = ontology.load(args.ontology) if args.ontology else ontology.default()
    _runtime.with_database(lambda pool: create_project(pool, args.project_id, onto),
                           "check the project id and the ontology file")
    print(f"project {args.project_id}: ontology {onto.name} {onto.version}, "
          f"guideline {onto.guideline_version}")
    return 0
