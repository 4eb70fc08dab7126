"""``roadlabel publish [BATCH ...] [--complete]``: commit accepted labels to batch branches.

Each batch's accepted labels, stitched per sequence, go to branch ``batch-<id>`` of the
dataset repository (lakeFS, or the embedded git repository) with their lineage; the nightly
merge (``roadlabel merge-nightly``, which runs this with ``--publish``) gates and merges them.
Safe to re-run: what is already committed is found and not written again.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from functools import partial
from typing import Any

from roadlabel.cli import _runtime
from roadlabel.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("publish", help="commit batches' accepted labels to their dataset branch",
                       description=__doc__)
    p.add_argument("batches", nargs="*", metavar="BATCH", help="batch ids to publish")
    p.add_argument("--complete", action="store_true",
                   help="also every batch whose tasks are all accepted")
    p.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Publish; exit 1 when any batch failed."""
    if not args.batches and not args.complete:
        raise UserError("no batch named", "pass batch ids, or --complete for every finished batch")
    outcomes = publish(args.batches, args.complete)
    if args.json:
        print(json.dumps([asdict(o) for o in outcomes], indent=2))
    else:
        for line in summary_lines(outcomes):
            print(line)
    return 1 if any(o.error for o in outcomes) else 0


def publish(batch_ids: list[str], complete: bool) -> list[Any]:
    """Publish the named batches (and every complete one); the PublishOutcome of each."""
    from qa import DEFAULT_PROFILE
    from roadlabel.embedded.stack import Stack
    from roadlabel.versioning import open_versioning
    from scheduler.publish import complete_batches, publish_batches
    from workers.ingest.storage import SettingsStore, read_manifest

    settings = _runtime.settings()
    with Stack(settings) as ep:
        store = SettingsStore(ep.s3)

        async def go() -> list[Any]:
            pool = await _runtime.migrated_pool(ep.database_url)
            try:
                ids = list(dict.fromkeys(batch_ids + (await complete_batches(pool)
                                                       if complete else [])))
                return await publish_batches(pool, open_versioning(settings), ids,
                                             partial(read_manifest, store),
                                             DEFAULT_PROFILE.version)
            finally:
                await pool.close()

        return _runtime.run(go())


def summary_lines(outcomes: list[Any]) -> list[str]:
    """One line per batch."""
    lines = []
    for o in outcomes:
        counts = f"{o.tasks_accepted} of {o.tasks_total} tasks accepted"
        if o.error:
            lines.append(f"FAILED {o.batch_id}: {o.error}")
        elif o.up_to_date:
            lines.append(f"up to date {o.batch_id}: {counts}")
        elif not o.commits:
            lines.append(f"nothing to publish {o.batch_id}: {counts}")
        else:
            lines.append(f"published {o.batch_id}: {counts}, head {o.commits[-1]}")
    return lines or ["no complete batch to publish"]
