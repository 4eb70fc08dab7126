"""``roadlabel report --batch ID --out report.html``: a self-contained HTML report of a batch."""

from __future__ import annotations

import argparse
import math
import os
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
    _check_out(args.out)
    target = DEFAULT_TARGET_COST_PER_FRAME if args.target_cost is None else args.target_cost
    if not (math.isfinite(target) and target > 0):
        raise UserError(f"--target-cost {target} is not a positive cost per frame",
                        "give it like 0.5 (currency units per frame)")
    cfg = OpsConfig(qa_sample_rate=settings.qa_sample_rate, target_cost_per_frame=target)
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
    try:
        args.out.write_text(report.render(data), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {args.out} ({exc.strerror})", "pick another --out") from None
    f = data.figures
    print(f"wrote {args.out} (batch {f.batch_id}: {f.frames_accepted}/{f.frames_total} frames "
          f"accepted, {f.cost_per_frame:.4f} {data.currency}/frame)")
    return 0



def _check_out(out: Path) -> None:
    """Fail before any work when the report cannot be written where asked."""
    if out.is_dir():
        raise UserError(f"--out {out} is a folder", "name the HTML file, e.g. --out report.html")
    if out.parent and not out.parent.is_dir():
        raise UserError(f"folder {out.parent} does not exist", "create it or pick --out")
    if not os.access(out.parent or Path("."), os.W_OK):
        raise UserError(f"folder {out.parent} is not writable", "pick another --out")
