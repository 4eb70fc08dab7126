"""``roadlabel demo``: the whole path on the embedded stack, with a summary at the end."""

from __future__ import annotations

import argparse
from pathlib import Path

from roadlabel.cli import _runtime
from roadlabel.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("demo", help="run ingest -> scheduler -> annotators -> commit end to end")
    p.add_argument("--video", type=Path, help="video to use (default: the shared dash-cam "
                   "video when present, else a generated one)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo and print its summary."""
    from roadlabel.demo import run_demo

    settings = _runtime.settings()
    if args.video is not None and not args.video.is_file():
        raise UserError(f"video {args.video} does not exist or is not a file",
                        "pass an existing video path or omit --video")
    summary = run_demo(settings, args.video)
    print("\n".join(summary.lines()))
    return 0
