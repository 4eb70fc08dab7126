"""``roadlabel status``: a live table of batches (progress, throughput, ETA, risk, cost).

Reads the database by default (every open batch), or OpsService over gRPC with ``--server``
(the batches named with ``--batch``). ``--once`` prints one table and exits.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from roadlabel.cli import _runtime
from roadlabel.errors import UserError

CLEAR = "\x1b[H\x1b[2J"


@dataclass(frozen=True)
class Row:
    """One batch as the table shows it."""

    batch_id: str
    frames_accepted: int
    frames_total: int
    per_hour: float
    eta: datetime | None
    deadline: datetime
    at_risk: bool
    priority: int
    cost_per_frame: float
    projected: float
    target: float | None


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("status", help="live table of batches: progress, ETA, risk and cost")
    p.add_argument("--batch", action="append", default=[],
                   help="batch to show (repeatable; default: every open batch)")
    p.add_argument("--once", action="store_true", help="print one table and exit")
    p.add_argument("--interval", type=float, default=2.0, help="refresh period in seconds")
    p.add_argument("--scheduler", "--server", dest="server", metavar="HOST:PORT",
                   help="read OpsService of a scheduler instead of the database")
    p.add_argument("--token", help="ops bearer token for --scheduler (or ROADLABEL_TOKEN)")
    p.add_argument("--token-file", type=Path, help="file holding an ops bearer token")
    p.set_defaults(func=run)


def _span(seconds: float) -> str:
    sign = "-" if seconds < 0 else ""
    s = int(abs(seconds))
    if s >= 86400:
        return f"{sign}{s // 86400}d{s % 86400 // 3600:02d}h"
    return f"{sign}{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{sign}{s // 60}m{s % 60:02d}s"


def _eta(r: Row, now: datetime) -> str:
    if r.frames_total and r.frames_accepted >= r.frames_total:
        return "done"
    return "-" if r.eta is None else _span(max(0.0, (r.eta - now).total_seconds()))


def render_table(rows: list[Row], now: datetime) -> str:
    """The table as text; times are shown relative to now."""
    head = ("BATCH", "ACCEPTED", "DONE", "FRAMES/H", "ETA IN", "DEADLINE IN", "RISK", "PRIO",
            "COST/FR", "PROJ/FR", "TARGET")
    lines = [head]
    for r in rows:
        done = r.frames_accepted / r.frames_total if r.frames_total else 0.0
        lines.append((
            r.batch_id, f"{r.frames_accepted}/{r.frames_total}", f"{done:.0%}",
            f"{r.per_hour:,.0f}", _eta(r, now),
            _span((r.deadline - now).total_seconds()), "AT RISK" if r.at_risk else "ok",
            str(r.priority), f"{r.cost_per_frame:.4f}", f"{r.projected:.4f}",
            "-" if r.target is None else f"{r.target:.2f}"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                      for i, (c, w) in enumerate(zip(line, widths, strict=True)))
            for line in lines]
    if not rows:
        text.append("(no open batches)")
    return "\n".join(text)


def run(args: argparse.Namespace) -> int:
    """Print the table once, or refresh it until interrupted."""
    settings = _runtime.settings()
    if args.interval <= 0:
        raise UserError(f"--interval {args.interval} is not positive", "give seconds > 0")
    if args.server:
        token = _runtime.read_token(args.token, args.token_file)
        if not args.batch or not token:
            raise UserError("--scheduler needs --batch and an ops token",
                            "name the batches; pass --token, --token-file or ROADLABEL_TOKEN")
        work = show_from_server(args, token)
    else:
        work = show_from_database(args, settings)
    try:
        _runtime.run(work)
    except KeyboardInterrupt:
        return 0
    return 0


def _show(rows: list[Row], now: datetime, once: bool) -> None:
    sys.stdout.write(("" if once else CLEAR) + render_table(rows, now) + "\n")
    sys.stdout.flush()


async def show_from_database(args: argparse.Namespace, settings: Any) -> None:
    """Print the table from the database: args.batch, or every open batch."""
    import asyncio

    from roadlabel.embedded import Stack
    from roadlabel.report.data import schema_hint
    from scheduler.db import create_pool
    from scheduler.ops_loop import OpsConfig, read_figures
    from scheduler.queries import q

    cfg = OpsConfig(qa_sample_rate=settings.qa_sample_rate)
    with Stack(settings, need_s3=False) as ep:
        pool = await create_pool(ep.database_url, max_size=1)
        try:
            while True:
                async with pool.acquire() as conn:
                    ids = args.batch or [r["batch_id"]
                                         for r in await conn.fetch(q("ops_open_batches"))]
                    figures = await schema_hint(read_figures(conn, ids, cfg))
                unknown = sorted(set(args.batch) - {f.batch_id for f in figures})
                if unknown:
                    raise UserError(f"no batch {', '.join(unknown)}",
                                    "check the id (roadlabel status lists open batches)")
                rows = [Row(f.batch_id, f.frames_accepted, f.frames_total,
                            f.accepted_frames_per_hour, f.eta, f.deadline, f.at_risk, f.priority,
                            f.cost_per_frame, f.projected_cost_per_frame, f.target_cost_per_frame)
                        for f in figures]
                _show(rows, figures[0].now if figures else datetime.now(UTC), args.once)
                if args.once:
                    return
                await asyncio.sleep(args.interval)
        finally:
            await pool.close()


async def show_from_server(args: argparse.Namespace, token: str) -> None:
    """Print the table of args.batch from OpsService at args.server."""
    import asyncio

    import grpc

    from roadlabel.client import connect
    from roadlabel.v1 import ops_pb2

    client = connect(args.server, token)
    try:
        while True:
            rows = []
            for batch in args.batch:
                try:
                    s = (await client.ops.GetBatchStatus(
                        ops_pb2.GetBatchStatusRequest(batch_id=batch), metadata=client.metadata,
                        timeout=client.deadline_s)).status
                except grpc.aio.AioRpcError as exc:
                    raise UserError(f"OpsService at {args.server} answered {exc.code().name}: "
                                    f"{exc.details()}", "check --server, the token and the batch"
                                    ) from None
                rows.append(Row(s.batch_id, s.frames_accepted, s.frames_total,
                                s.accepted_frames_per_hour,
                                s.eta.ToDatetime(tzinfo=UTC) if s.HasField("eta") else None,
                                s.deadline.ToDatetime(tzinfo=UTC), s.at_risk, s.priority,
                                s.cost_per_frame, s.projected_cost_per_frame, None))
            _show(rows, datetime.now(UTC), args.once)
            if args.once:
                return
            await asyncio.sleep(args.interval)
    finally:
        await client.close()
