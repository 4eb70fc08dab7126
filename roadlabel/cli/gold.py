"""``roadlabel gold add TASK --batch ID``: mix a known answer into a batch, unmarked."""

from __future__ import annotations

import argparse

from roadlabel.cli import _runtime
from roadlabel.embedded import Stack
from roadlabel.errors import UserError


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
    from scheduler.errors import SchedulerError
    from scheduler.service import SchedulerConfig, SchedulerService

    settings = _runtime.settings()
    with Stack(settings, need_s3=False) as ep:
        async def go() -> str:
            pool = await _runtime.migrated_pool(ep.database_url)
            try:
                service = SchedulerService(pool, _NoPresigner(), SchedulerConfig())
                return await service.add_gold_task(args.task_id, args.batch)
            finally:
                await pool.close()

        try:
            task_id = _runtime.run(go())
        except SchedulerError as exc:
            raise UserError(str(exc), "pass an accepted task id and an existing batch") from None
    print(task_id)
    return 0


class _NoPresigner:
    """Gold creation hands out no frame URLs."""

    def presign_get(self, key: str, ttl_s: int = 3600) -> str:
        raise NotImplementedError("no presigning in `roadlabel gold`")
