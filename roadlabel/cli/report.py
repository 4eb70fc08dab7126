"""``roadlabel report --batch ID --out report.html``: a self-contained HTML report of a batch."""

from __future__ import annotations

import argparse
from pathlib import Path

from roadlabel.cli import _runtime
from roadlabel.embedded import Stack
from roadlabel.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("report", help="write an HTML report of a batch (cost, SLA, quality)")
    p.add_argument("--batch", required=True, help="batch id")
    p.add_argument("--out", required=True, type=Path, help="HTML file to write")
    p.add_argument("--target-cost", type=float, default=None,
                   help="target cost per frame when the batch has none (default 0.50)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the batch's figures from the database and write the report."""
    from roadlabel import report
    from roadlabel.report.data import schema_hint
    from scheduler.cost import DEFAULT_TARGET_COST_PER_FRAME
    from scheduler.db import create_pool
    from scheduler.ops_loop import OpsConfig

    settings = _runtime.settings()
    if args.out.parent and not args.out.parent.is_dir():
        raise UserError(f"folder {args.out.parent} does not exist", "create it or pick --out")
    cfg = OpsConfig(qa_sample_rate=settings.qa_sample_rate,
                    target_cost_per_frame=args.target_cost or DEFAULT_TARGET_COST_PER_FRAME)
    with Stack(settings, need_s3=False) as ep:
        async def go() -> report.ReportData | None:
            pool = await create_pool(ep.database_url, max_size=2)
            try:
                return await report.load(pool, args.batch, cfg)
            finally:
                await pool.close()

        data = _runtime.run(schema_hint(go()))
    if data is None:
        raise UserError(f"batch '{args.batch}' does not exist",
                        "check the id (roadlabel status lists batches)")
    args.out.write_text(report.render(data), encoding="utf-8")
    f = data.figures
    print(f"wrote {args.out} (batch {f.batch_id}: {f.frames_accepted}/{f.frames_total} frames "
          f"accepted, {f.cost_per_frame:.4f} {data.currency}/frame)")
    return 0

