"""`roadlabel ingest VIDEO... --batch NAME`: decode, sample and store driving video on Ray."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from roadlabel.cli import _runtime


def register(subparsers: Any) -> None:
    """Add the `ingest` subcommand."""
    p = subparsers.add_parser("ingest", help="ingest videos (local paths or s3://bucket/key)")
    p.add_argument("videos", nargs="+", metavar="VIDEO")
    p.add_argument("--batch", required=True, help="batch name the sequences belong to")
    p.add_argument("--hz", type=float, default=10.0, help="sampling rate (default 10)")
    p.add_argument("--width", type=int, help="output width (default: source, keeps aspect)")
    p.add_argument("--height", type=int, help="output height (default: source, keeps aspect)")
    p.add_argument("--image-codec", choices=("jpeg", "png"), default="jpeg")
    p.add_argument("--quality", type=int, default=3, help="JPEG quantiser 2 (best)..31")
    p.add_argument("--segment-length", type=int, default=50, help="frames per task (K)")
    p.add_argument("--segment-overlap", type=int, default=5, help="overlap frames (O)")
    p.add_argument("--calibration", type=Path, help="calibration JSON (default: 60 deg FOV)")
    p.add_argument("--max-pixels", type=int, help="largest frame accepted (width*height)")
    p.add_argument("--max-duration", type=float, help="longest video accepted, seconds")
    p.add_argument("--scheduler", help="scheduler host:port to register segments with")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--token", help="bearer token for --scheduler")
    who.add_argument("--token-file", type=Path, help="file holding the token (kept out of ps)")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Ingest the videos; exit 0 when all are done, 1 when any failed."""
    from roadlabel.embedded.stack import Stack
    from workers.ingest import IngestOptions, Limits, ingest_videos
    from workers.ingest.progress import ProgressPrinter
    from workers.ingest.storage import SettingsStore

    settings = _runtime.settings()
    options = IngestOptions(
        sample_hz=args.hz, width=args.width, height=args.height, image_codec=args.image_codec,
        jpeg_q=args.quality, segment_length=args.segment_length,
        segment_overlap=args.segment_overlap, calibration=_calibration(args.calibration),
        limits=_limits(Limits(), args),
    )
    registrar = _registrar(args)
    if registrar is not None:
        registrar.check_batch(args.batch)
    progress = ProgressPrinter(sys.stderr)
    if settings.s3.endpoint:  # a configured S3: no embedded services needed
        store = SettingsStore(settings.s3)
        store.ensure_bucket()
        report = ingest_videos(args.videos, args.batch, options, store, registrar,
                               progress=progress)
    else:
        with Stack(settings, need_pg=False) as endpoints:
            store = SettingsStore(endpoints.s3)
            store.ensure_bucket()
            report = ingest_videos(args.videos, args.batch, options, store, registrar,
                                   progress=progress)
    _print(report, args.json)
    return 0 if report.ok else 1


def _calibration(path: Path | None) -> Any:
    from workers.ingest import load_calibration

    return None if path is None else load_calibration(path)


def _limits(base: Any, args: argparse.Namespace) -> Any:
    from dataclasses import replace

    changes: dict[str, Any] = {}
    if args.max_pixels is not None:
        changes["max_pixels"] = args.max_pixels
    if args.max_duration is not None:
        changes["max_duration_s"] = args.max_duration
    return replace(base, **changes)


def _registrar(args: argparse.Namespace) -> Any:
    from roadlabel.errors import ConfigError

    if not args.scheduler:
        if args.token is not None or args.token_file is not None:
            raise ConfigError("--token / --token-file given without --scheduler",
                              "add --scheduler HOST:PORT to register the tasks, or drop the token")
        return None
    from roadlabel.registrar import GrpcRegistrar

    token = _runtime.read_token(args.token, args.token_file)
    if not token:
        raise ConfigError("--scheduler needs a token",
                          "pass --token or --token-file, or set ROADLABEL_TOKEN")
    return GrpcRegistrar(args.scheduler, token)


def _print(report: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps(asdict(report), indent=2))
        return
    for v in report.videos:
        if v.ok:
            lost = f", lost {v.lost_ranges}" if v.lost_ranges else ""
            print(f"done   {v.source}: sequence {v.sequence_id}, {v.frames} frames{lost}")
        else:
            print(f"failed {v.source}: {v.reason}")
