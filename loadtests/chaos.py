"""Chaos test: SIGKILL a replica every 10-30 s and crash-restart PostgreSQL once, under load.

Clients keep working through it, retrying with the same idempotency key. Afterwards the
database must show: no acknowledged submission lost, none duplicated, no two valid leases
overlapping, and every task accepted or back in a queue (no lease left active).

    .venv/bin/python -m loadtests.chaos --seconds 150 --clients 60 --reviewers 10
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

from loadtests._cluster import Cluster
from loadtests.annotators import LoadConfig, run


class Chaos:
    """The disturbance run beside the clients: replica kills and one PostgreSQL crash."""

    def __init__(self, seed: int, kill_every_s: tuple[float, float] = (10.0, 30.0),
                 pg_restart_after_s: float = 45.0, pg_down_s: float = 3.0) -> None:
        self.rng = random.Random(seed)
        self.kill_every_s = kill_every_s
        self.pg_restart_after_s = pg_restart_after_s
        self.pg_down_s = pg_down_s
        self.events: list[str] = []
        self.t0 = time.time()

    def log(self, what: str) -> None:
        """Record one event with its time since the start."""
        self.events.append(f"{time.time() - self.t0:6.1f}s {what}")

    def __call__(self, cluster: Cluster, stop_at: float) -> dict[str, Any]:
        """Disturb until stop_at; return what was done."""
        self.t0 = time.time()
        kills = unexpected = 0
        pg_at = self.t0 + self.pg_restart_after_s
        next_kill = self.t0 + self.rng.uniform(*self.kill_every_s)
        while time.time() < stop_at:
            time.sleep(0.2)
            unexpected += self._revive(cluster)
            if pg_at and time.time() >= pg_at:
                self._restart_postgres(cluster)
                pg_at = 0.0
            if time.time() >= next_kill and time.time() < stop_at:
                self._kill_one(cluster)
                kills += 1
                next_kill = time.time() + self.rng.uniform(*self.kill_every_s)
        unexpected += self._revive(cluster)
        return {"replica_kills": kills, "postgres_restarts": 0 if pg_at else 1,
                "replica_exits_unexpected": unexpected, "events": self.events}

    def _kill_one(self, cluster: Cluster) -> None:
        victim = self.rng.choice(cluster.procs)
        victim.kill9()
        self.log(f"kill -9 replica :{victim.port}")
        time.sleep(self.rng.uniform(0.5, 2.0))
        victim.start()
        victim.wait_ready()
        self.log(f"replica :{victim.port} back")

    def _restart_postgres(self, cluster: Cluster) -> None:
        assert cluster.pg is not None
        cluster.pg.kill()
        self.log("postgres killed (immediate)")
        time.sleep(self.pg_down_s)
        cluster.pg.start()
        self.log("postgres back")

    def _revive(self, cluster: Cluster) -> int:
        """Restart replicas that exited on their own (that is a finding, and counted)."""
        n = 0
        for p in cluster.procs:
            if p.proc is not None and p.proc.poll() is not None:
                self.log(f"replica :{p.port} EXITED by itself with {p.proc.returncode}")
                p.start()
                p.wait_ready()
                n += 1
        return n


def main(argv: list[str] | None = None) -> int:
    """Run once under chaos and print the JSON result; exit 1 when a guarantee broke."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=60)
    p.add_argument("--reviewers", type=int, default=10)
    p.add_argument("--seconds", type=float, default=150.0)
    p.add_argument("--lease-ttl", type=float, default=10.0)
    p.add_argument("--tasks", type=int, default=1500,
                   help="queue size (Lease cost grows with it; see the report)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    if args.seconds < 120:
        raise SystemExit("chaos needs at least 120 s (several kills and the PostgreSQL restart)")
    cfg = LoadConfig(clients=args.clients, seconds=args.seconds, mode="max",
                     reviewers=args.reviewers, tasks=args.tasks, lease_ttl_s=args.lease_ttl,
                     retry_budget_s=60.0, settle_s=args.lease_ttl + 3.0)
    result = run(cfg, Chaos(args.seed))
    final = result["final"]
    result["every_task_settled"] = final["active_leases"] == 0
    # Reviewers that never got a verdict through mean the run did not exercise review at all.
    result["reviews_went_through"] = args.reviewers == 0 or result["reviews"] > 0
    result["passed"] = (result["lost"] == 0 and result["duplicated"] == 0
                        and result["overlapping_leases"] == 0 and result["every_task_settled"]
                        and result["reviews_went_through"])
    print(json.dumps(result, indent=1))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
