"""`roadlabel prelabel SEQUENCE... --batch NAME`: pre-label ingested sequences on Ray and attach
the labels to their tasks, so annotators correct them instead of drawing from scratch."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from roadlabel.cli import _runtime
from roadlabel.errors import ConfigError


def register(subparsers: Any) -> None:
    """Add the `prelabel` subcommand."""
    p = subparsers.add_parser(
        "prelabel", help="pre-label ingested sequences and attach the labels to their tasks")
    p.add_argument("sequences", nargs="+", metavar="SEQUENCE_ID",
                   help="sequence ids, as `roadlabel ingest` printed them")
    p.add_argument("--batch", required=True, help="batch the sequences were ingested into")
    p.add_argument("--scheduler", required=True, help="scheduler host:port")
    who = p.add_mutually_exclusive_group()  # neither: ROADLABEL_TOKEN
    who.add_argument("--token", help="bearer token of an ops user")
    who.add_argument("--token-file", type=Path, help="file holding the token (kept out of ps)")
    p.add_argument("--model", type=Path,
                   help="ONNX model meeting workers/prelabel/CONTRACT.md (default: the baseline)")
    p.add_argument("--sha256", help="the digest --model must have (required with --model)")
    p.add_argument("--providers",
                   help="ONNX Runtime execution providers in order, comma-separated (missing "
                        "ones are skipped; default: CUDAExecutionProvider,CPUExecutionProvider)")
    p.add_argument("--actors", type=int, default=1, help="actors, one model session each")
    p.add_argument("--gpus-per-actor", type=float, default=0.0,
                   help="GPUs each actor asks Ray for (0: CPU actors)")
    p.add_argument("--batch-size", type=int, default=8, help="frames per session run")
    p.add_argument("--segment-length", type=int, default=50,
                   help="frames per task, as the batch was ingested with (K)")
    p.add_argument("--segment-overlap", type=int, default=5,
                   help="overlap frames, as the batch was ingested with (O)")
    p.add_argument("--label-range", type=float, default=50.0, metavar="METRES",
                   help="objects are labelled within this range of the ego; no box is "
                        "proposed beyond it (default 50)")
    p.add_argument("--start-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="how long the actors may take to be placed and load the model "
                        "(GPU nodes may have to scale up first; default 600)")
    p.add_argument("--json", action="store_true", help="print the outcomes as JSON on stdout")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Pre-label the sequences; exit 0 when all are done, 1 when any failed."""
    from roadlabel.embedded.stack import Stack
    from workers.ingest import ensure_ray
    from workers.prelabel import Predictor, PrelabelPool

    cfg = _model_config(args)
    Predictor(replace(cfg, providers=("CPUExecutionProvider",)))  # a bad model fails here, once
    args.token = _runtime.read_token(args.token, args.token_file)
    if not args.token:
        raise ConfigError("no token for --scheduler",
                          "pass --token or --token-file, or set ROADLABEL_TOKEN")
    settings = _runtime.settings()
    ensure_ray()  # in the main thread, before the event loop starts
    pool = PrelabelPool(cfg, n_actors=args.actors, num_gpus=args.gpus_per_actor)
    try:
        with Stack(settings, need_pg=False) as endpoints:
            outcomes = _runtime.run(_prelabel(args, endpoints.s3, pool))
    finally:
        pool.shutdown()
    _print(outcomes, args.json)
    return 0 if all(o.ok for o in outcomes) else 1


async def _prelabel(args: argparse.Namespace, s3: Any, pool: Any) -> list[Any]:
    from roadlabel.client import connect
    from roadlabel.registrar import PrelabelRegistrar
    from workers.ingest import SettingsStore
    from workers.ingest.storage import manifest_key
    from workers.prelabel.driver import PrelabelRun, on_gpu, prelabel_sequences, start_actors
    from workers.tracking import RANGE_MARGIN_M, TrackerConfig

    client = connect(args.scheduler, args.token, deadline_s=30.0)
    try:
        sink = PrelabelRegistrar(client, args.scheduler)
        await sink.check_batch(args.batch)  # before any work: address, token, batch
        infos = await start_actors(pool, args.start_timeout)
        run_cfg = PrelabelRun(
            args.batch, args.segment_length, args.segment_overlap,
            replace(TrackerConfig(), emit_range_m=args.label_range + RANGE_MARGIN_M),
            gpu_share=args.gpus_per_actor if on_gpu(infos) else 0.0)
        return await prelabel_sequences(args.sequences, run_cfg, SettingsStore(s3), pool, sink,
                                        manifest_key)
    finally:
        await client.close()


def _model_config(args: argparse.Namespace) -> Any:
    from workers.prelabel import ModelConfig, baseline_config

    _check(args)
    options: dict[str, Any] = {"batch_size": args.batch_size}
    if args.providers:
        options["providers"] = tuple(p.strip() for p in args.providers.split(",") if p.strip())
    if args.model is None:
        return baseline_config(**options)
    # absolute: the actors open the file on their own nodes, in their own working directories
    return ModelConfig(str(args.model.resolve()), args.sha256, **options)


def _check(args: argparse.Namespace) -> None:
    if args.model is not None and not args.sha256:
        raise ConfigError("--model needs --sha256", "pass the model file's sha256 digest")
    if args.sha256 and args.model is None:
        raise ConfigError("--sha256 without --model", "pass the model file it is the digest of")
    for name in ("actors", "batch_size", "segment_length"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1", "pass 1 or more")
    if not 0 <= args.segment_overlap < args.segment_length:
        raise ConfigError("--segment-overlap must be 0 or more and below --segment-length",
                          "pass the values the batch was ingested with")
    if args.start_timeout <= 0:
        raise ConfigError("--start-timeout must be positive", "pass seconds, such as 600")
    if args.label_range <= 0 or args.gpus_per_actor < 0:
        raise ConfigError("--label-range must be positive and --gpus-per-actor not negative",
                          "pass a range in metres, and 0 or more GPUs")


def _print(outcomes: list[Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps([asdict(o) for o in outcomes], indent=2))
        return
    for o in outcomes:
        if o.ok:
            kept = f" ({o.kept} leased already kept theirs)" if o.kept else ""
            print(f"done   {o.sequence_id}: {o.segments} segments{kept}, {o.frames} frames, "
                  f"model {o.model_version}")
        else:
            print(f"failed {o.sequence_id}: {o.reason}")
