"""``roadlabel gold add TASK --batch ID``: mix a known answer into a batch, unmarked."""

from __future__ import annotations

import argparse

from roadlabel.cli import _runtime


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("gold", help="gold tasks with known answers, for annotator accuracy")
    gsub = p.add_subparsers(dest="gold_command", required=True, metavar="ACTION")
    a = gsub.add_parser("add", help="copy an accepted task, its labels as the answer, into a batch")
    a.add_argument("task_id", help="an accepted task whose labels are the known answer")
    a.add_argument("--batch", required=True, help="batch the gold task is mixed into")
    a.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Create the gold task; print its id."""
    from scheduler.service import SchedulerConfig, SchedulerService

    task_id = _runtime.with_database(
        lambda pool: SchedulerService(pool, _NoPresigner(), SchedulerConfig())
        .add_gold_task(args.task_id, args.batch),
        "pass an accepted task id and an existing batch")
    print(task_id)
    return 0


class _NoPresigner:
    """Gold creation hands out no frame URLs."""

    def presign_get(self, key: str, ttl_s: int = 3600) -> str:
        raise NotImplementedError("no presigning in `roadlabel gold`")
