"""``roadlabel plan``: nodes per stage, wall time and compute cost for a batch of video."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from roadlabel import capacity


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``plan`` subcommand."""
    parser = subparsers.add_parser(
        "plan",
        help="size the cluster for a batch: nodes per stage, wall time, cost per frame",
        description=__doc__.splitlines()[0].replace("`", ""),
    )
    parser.add_argument("--hours", type=float, required=True, help="hours of driving video")
    parser.add_argument("--hz", type=float, default=10.0, help="sampling rate (default 10)")
    parser.add_argument(
        "--deadline", default="24h", help="turnaround target such as 24h, 90m, 2d (default 24h)"
    )
    parser.add_argument(
        "--source-fps", type=float, default=30.0, help="camera frame rate (default 30)"
    )
    parser.add_argument(
        "--rates", type=Path, help="rates and prices JSON (default deploy/capacity_rates.json)"
    )
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the plan; exit 0 when it meets the deadline, 1 when it does not."""
    deadline_h = capacity.parse_duration_hours(args.deadline)
    workload = capacity.make_workload(args.hours, args.hz, args.source_fps, deadline_h)
    rates = capacity.load_rates(args.rates or capacity.default_rates_path())
    result = capacity.plan(workload, rates)
    if args.json:
        print(json.dumps(capacity.plan_as_dict(result), indent=2))
    else:
        print(capacity.format_plan(result))
    return 0 if result.meets_deadline else 1
