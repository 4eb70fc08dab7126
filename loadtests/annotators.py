"""Load test: N simulated annotators over real gRPC against two scheduler replicas.

Starts embedded PostgreSQL + S3 and two `roadlabel serve` processes in a temporary directory
(or uses running replicas given with --target and --database-url), drives lease -> heartbeat
-> submit cycles round-robin across the replicas, then audits the database and prints one
JSON object: throughput, per-RPC latencies, errors by code, lost/duplicated submissions,
overlapping leases and the CPU seconds of the scheduler processes.

    .venv/bin/python -m loadtests.annotators --clients 1000 --seconds 30 --mode max
    .venv/bin/python -m loadtests.annotators --clients 1000 --seconds 30 --mode max --rate 300
    .venv/bin/python -m loadtests.annotators --clients 100 --seconds 120 --mode realistic

Back to back (no --rate), 1,000 clients keep ~1,000 calls in flight, so latency is queueing
(Little's law) and the figure to read is cycles/s; with --rate the clients offer a known load
and the p99 at that load is the figure to read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loadtests._audit import audit
from loadtests._cluster import BareCluster, Cluster, Replicas
from loadtests._driver import Plan, drive_in_process
from loadtests._population import Population, populate

#: Work run in the parent while clients drive (chaos): gets the cluster and the stop time.
Disturbance = Callable[[Cluster, float], dict[str, Any]]


@dataclass
class LoadConfig:
    """One load run."""

    clients: int
    seconds: float
    mode: str = "max"
    reviewers: int = 0
    procs: int = 1
    channels: int = 0
    heartbeats: int = 1  # per max-mode cycle
    rate: float = 0.0  # max mode: offered cycles/s in all (0: back to back)
    tasks: int = 0  # 0: enough for the mode and duration
    lease_ttl_s: float = 60.0
    targets: list[str] = field(default_factory=list)
    database_url: str | None = None
    retry_budget_s: float = 60.0
    settle_s: float = 0.0  # wait after the run before auditing (let leases expire)
    idle_s: float = 0.0  # measure the replicas' idle CPU this long before the run
    extra_sql: Path | None = None  # SQL applied after the migrations (a proposed change)
    baseline: bool = False  # also drive bare gRPC servers the same way (the ceiling)
    pg_socket: bool = False  # replicas reach PostgreSQL over its Unix socket, not TCP

    def task_count(self) -> int:
        """Tasks to register: above what the run can possibly consume."""
        if self.tasks:
            return self.tasks
        if self.mode == "realistic":
            return self.clients * (int(self.seconds / 30) + 3)
        return int(max(2000, 500 * self.seconds))


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p99 in milliseconds."""
    if not values:
        return {"n": 0, "p50_ms": 0.0, "p99_ms": 0.0}
    s = sorted(values)

    def pick(q: float) -> float:
        return round(s[min(len(s) - 1, int(q * len(s)))] * 1000, 2)

    return {"n": len(s), "p50_ms": pick(0.50), "p99_ms": pick(0.99)}


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One record out of every worker's."""
    out: dict[str, Any] = {"latencies": {}, "errors": {}, "samples": {}, "acked": [], "cycles": 0,
                           "late_cycles": 0, "reviews": 0, "retries": 0, "cpu_s": 0.0}
    for p in parts:
        for rpc, xs in p["latencies"].items():
            out["latencies"].setdefault(rpc, []).extend(xs)
        for code, n in p["errors"].items():
            out["errors"][code] = out["errors"].get(code, 0) + n
        for code, text in p["samples"].items():
            out["samples"].setdefault(code, text)
        out["acked"].extend(p["acked"])
        for k in ("cycles", "late_cycles", "reviews", "retries", "cpu_s"):
            out[k] += p[k]
    return out


def _split(users: dict[str, str], n: int) -> list[dict[str, str]]:
    items = list(users.items())
    return [dict(items[i::n]) for i in range(n)]


def drive(cfg: LoadConfig, cluster: Replicas | None, pop: Population,
          disturb: Disturbance | None) -> dict[str, Any]:
    """Run the client workers (and the disturbance) and measure the window."""
    targets = cluster.targets if cluster else cfg.targets
    start_at = time.time() + 4.0  # workers import grpc first
    stop_at = start_at + cfg.seconds
    procs = max(1, min(cfg.procs, cfg.clients))
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(procs, mp_context=ctx) as pool:
        futures = [
            pool.submit(drive_in_process,
                        Plan(targets, stop_at, cfg.mode, channels=cfg.channels // procs,
                             heartbeats=cfg.heartbeats, rate=cfg.rate, clients=cfg.clients,
                             retry_budget_s=cfg.retry_budget_s, seed=i),
                        ann, rev, start_at)
            for i, (ann, rev) in enumerate(zip(_split(pop.annotators, procs),
                                               _split(pop.reviewers, procs), strict=True))]
        time.sleep(max(0.0, start_at - time.time()))
        cpu0 = _cpu(cluster)
        chaos: dict[str, Any] = {}
        thread = None
        if disturb is not None and isinstance(cluster, Cluster):
            thread = threading.Thread(target=lambda: chaos.update(disturb(cluster, stop_at)),
                                      name="chaos", daemon=True)
            thread.start()
        parts = [f.result() for f in futures]
        elapsed = time.time() - start_at
        cpu1 = _cpu(cluster)
        if thread is not None:
            thread.join()
    rec = merge(parts)
    rec["elapsed_s"] = elapsed
    rec["cpu"] = {k: round(cpu1[k] - cpu0[k], 2) for k in cpu0}
    rec["chaos"] = chaos
    return rec


def _idle_share(cluster: Cluster | None, seconds: float) -> float | None:
    """Baseline: share of one core the replicas use with no clients (sweeps, gauges)."""
    if cluster is None or seconds <= 0:
        return None
    before = cluster.scheduler_cpu()
    time.sleep(seconds)
    return round((cluster.scheduler_cpu() - before) / seconds, 4)


def _cpu(cluster: Replicas | None) -> dict[str, float]:
    if cluster is None:
        return {"scheduler_s": 0.0, "postgres_s": 0.0}
    return {"scheduler_s": cluster.scheduler_cpu(), "postgres_s": cluster.postgres_cpu()}


def report(cfg: LoadConfig, pop: Population, rec: dict[str, Any],
           checks: dict[str, Any]) -> dict[str, Any]:
    """The one JSON object a run prints."""
    elapsed = rec["elapsed_s"]
    everything = [x for xs in rec["latencies"].values() for x in xs]
    return {
        "extra_sql": str(cfg.extra_sql) if cfg.extra_sql else None,
        "pg_socket": cfg.pg_socket,
        "mode": cfg.mode, "clients": cfg.clients, "reviewers": cfg.reviewers,
        "heartbeats_per_cycle": cfg.heartbeats if cfg.mode == "max" else None,
        "offered_cycles_per_s": cfg.rate or None,
        "seconds": cfg.seconds, "wall_s": round(elapsed, 2), "tasks_registered": pop.tasks,
        "cycles": rec["cycles"], "cycles_per_s": round(rec["cycles"] / cfg.seconds, 1),
        "late_cycles": rec["late_cycles"],
        "reviews": rec["reviews"],
        "rpc": {rpc: percentiles(xs) for rpc, xs in sorted(rec["latencies"].items())},
        "p99_ms": percentiles(everything)["p99_ms"],
        "errors": dict(sorted(rec["errors"].items())), "retries": rec["retries"],
        "error_samples": dict(sorted(rec["samples"].items())),
        **checks,
        "cpu_s": {**rec["cpu"], "clients_s": round(rec["cpu_s"], 2)},
        "scheduler_core_share": round(rec["cpu"]["scheduler_s"] / elapsed, 4),
        "scheduler_idle_core_share": rec["idle_core_share"],
        "chaos": rec["chaos"] or None,
    }


def run(cfg: LoadConfig, disturb: Disturbance | None = None,
        replicas: int = 2) -> dict[str, Any]:
    """A whole run: cluster (unless targets are given), population, load, audit."""
    if cfg.targets:
        if not cfg.database_url:
            raise SystemExit("--target needs --database-url (users are created and audited there)")
        return _run_on(cfg, None, cfg.database_url, disturb)
    with Cluster(replicas=replicas, lease_ttl_s=cfg.lease_ttl_s,
                 extra_sql=cfg.extra_sql, pg_socket=cfg.pg_socket) as cluster:
        return _run_on(cfg, cluster, cluster.database_url, disturb)


def _run_on(cfg: LoadConfig, cluster: Cluster | None, url: str,
            disturb: Disturbance | None) -> dict[str, Any]:
    target = cluster.targets[0] if cluster else cfg.targets[0]
    pop = asyncio.run(populate(url, target, cfg.clients, cfg.reviewers, cfg.task_count()))
    idle = _idle_share(cluster, cfg.idle_s)
    rec = drive(cfg, cluster, pop, disturb)
    rec["idle_core_share"] = idle
    if cfg.settle_s:
        time.sleep(cfg.settle_s)
    checks = asyncio.run(audit(url, [tuple(a) for a in rec["acked"]]))
    out = report(cfg, pop, rec, checks)
    if cfg.baseline and cluster is not None:
        cluster.close()  # its cores go to the baseline
        out["baseline_bare_grpc"] = bare_baseline(cfg)
        bare = out["baseline_bare_grpc"]["cycles_per_s"]
        out["ratio_vs_bare_grpc"] = round(out["cycles_per_s"] / bare, 3) if bare else None
    return out


def bare_baseline(cfg: LoadConfig) -> dict[str, Any]:
    """The same clients, cycles and pacing against two bare gRPC servers (no work at all)."""
    with BareCluster() as bare:
        pop = Population("bare", "bare", {f"a{i}": "none" for i in range(cfg.clients)}, {}, 0)
        rec = drive(replace(cfg, reviewers=0), bare, pop, None)
    everything = [x for xs in rec["latencies"].values() for x in xs]
    return {"cycles_per_s": round(rec["cycles"] / cfg.seconds, 1),
            "p99_ms": percentiles(everything)["p99_ms"],
            "rpc": {rpc: percentiles(xs) for rpc, xs in sorted(rec["latencies"].items())},
            "errors": dict(sorted(rec["errors"].items())),
            "cpu_s": {"servers_s": rec["cpu"]["scheduler_s"], "clients_s": round(rec["cpu_s"], 2)}}


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=100)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--mode", choices=("max", "realistic"), default="max")
    p.add_argument("--reviewers", type=int, default=0, help="simulated reviewers approving")
    p.add_argument("--procs", type=int, default=1, help="client worker processes")
    p.add_argument("--channels", type=int, default=0,
                   help="gRPC channels in all (default: one per client)")
    p.add_argument("--heartbeats", type=int, default=1, metavar="N",
                   help="heartbeats (with the draft) per max-mode cycle; 0: lease -> submit")
    p.add_argument("--rate", type=float, default=0.0, metavar="CYCLES_PER_S",
                   help="max mode: pace the clients to offer this many cycles/s in all "
                        "(latency at a known load); default: back to back")
    p.add_argument("--tasks", type=int, default=0, help="tasks to register (default: enough)")
    p.add_argument("--lease-ttl", type=float, default=60.0)
    p.add_argument("--idle-baseline", type=float, default=0.0, metavar="S",
                   help="first measure the idle replicas' CPU for S seconds")
    p.add_argument("--target", action="append", default=[], metavar="HOST:PORT",
                   help="use running replicas instead of starting two")
    p.add_argument("--database-url", help="their database (with --target)")
    p.add_argument("--baseline", action="store_true",
                   help="then drive two bare gRPC servers (no database, no work) the same "
                        "way: the framework's ceiling on these cores (ratio_vs_bare_grpc)")
    p.add_argument("--pg-socket", action="store_true",
                   help="replicas reach PostgreSQL over its Unix socket (same host) "
                        "instead of TCP on loopback")
    p.add_argument("--extra-sql", type=Path, metavar="FILE",
                   help="apply this SQL after the migrations (to measure a proposed change)")
    return p


def config_from(args: argparse.Namespace) -> LoadConfig:
    """LoadConfig from parsed options."""
    return LoadConfig(clients=args.clients, seconds=args.seconds, mode=args.mode,
                      reviewers=args.reviewers, procs=args.procs, channels=args.channels,
                      heartbeats=args.heartbeats, rate=args.rate,
                      tasks=args.tasks, lease_ttl_s=args.lease_ttl, targets=args.target,
                      database_url=args.database_url, idle_s=args.idle_baseline,
                      extra_sql=args.extra_sql, baseline=args.baseline,
                      pg_socket=args.pg_socket)


def main(argv: list[str] | None = None) -> int:
    """Run once and print the JSON result."""
    args = parser().parse_args(argv)
    result = run(config_from(args))
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
