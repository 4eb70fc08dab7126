"""``roadlabel merge-nightly``: merge QA-passing batches into main as a dated snapshot."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

from roadlabel import config
from roadlabel.cli.publish import publish, summary_lines
from roadlabel.errors import ConfigError
from roadlabel.versioning import open_versioning
from roadlabel.versioning.gates import Gates
from roadlabel.versioning.nightly import NightlyReport, run_nightly
from roadlabel.versioning.splits import SplitRatios


def register(subparsers: Any) -> None:
    """Add the ``merge-nightly`` subcommand."""
    p = subparsers.add_parser(
        "merge-nightly", help="merge QA-passing batch branches into main and tag a snapshot",
        description=__doc__)
    p.add_argument("--date", help="snapshot date YYYY-MM-DD (default: today, UTC)")
    p.add_argument("--min-qa-pass-rate", type=float, default=Gates.min_qa_pass_rate)
    p.add_argument("--min-agreement", type=float, default=Gates.min_agreement)
    p.add_argument("--require-agreement", action="store_true",
                   help="refuse batches with no doubly-annotated task (agreement unmeasured)")
    p.add_argument("--publish", action="store_true",
                   help="first publish every batch whose tasks are all accepted "
                        "(as `roadlabel publish --complete`); needs the database")
    p.add_argument("--split", default="70/20/10", help="train/val/test shares by sequence")
    p.add_argument("--exports", default="",
                   help="comma-separated export formats to write under exports/ "
                        "(e.g. openlabel,kitti_tracking,nuscenes,coco)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the nightly merge; exit 1 when a batch conflicted (nothing was overwritten) or a
    publish failed. Rejected batches (not finished, or below a gate) are listed, exit 0."""
    day = _day(args.date)
    gates = Gates(min_qa_pass_rate=args.min_qa_pass_rate, min_agreement=args.min_agreement,
                  require_agreement=args.require_agreement)
    published = publish([], complete=True) if args.publish else []
    store = open_versioning(config.load())
    formats = [f for f in args.exports.split(",") if f]
    report = run_nightly(store, day, gates, SplitRatios.parse(args.split), formats)
    if args.json:
        print(json.dumps({**report.to_dict(), "published": [asdict(o) for o in published]},
                         indent=2))
    else:
        print("\n".join([*(summary_lines(published) if args.publish else []),
                         _summary(report)]))
    return 1 if report.conflicts or any(o.error for o in published) else 0


def _day(text: str | None) -> date:
    if not text:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--date {text!r} is not YYYY-MM-DD",
                          "write it like 2026-01-31") from None


def _summary(report: NightlyReport) -> str:
    lines = [f"snapshot {report.snapshot} at {report.snapshot_commit}"
             + (" (new)" if report.tag_created else " (existing)")]
    lines += [f"merged {b} -> {c}" for b, c in report.merged.items()]
    lines += [f"already merged {b}" for b in report.already_merged]
    lines += [f"rejected {b}: {'; '.join(r)}" for b, r in report.rejected.items()]
    lines += [f"CONFLICT {b}: {', '.join(p)}" for b, p in report.conflicts.items()]
    lines += [f"deferred {b}: passes, merges into the next snapshot (today's is cut)"
              for b in report.deferred]
    if report.discarded:
        lines.append(f"discarded {len(report.discarded)} objects an interrupted run left "
                     "staged on main")
    if report.exports_skipped:
        lines.append(f"no manifest, not exported: {', '.join(report.exports_skipped)}")
    return "\n".join(lines)
