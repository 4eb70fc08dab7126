"""Benchmark: publish 10,000 annotation objects to a batch branch and merge it, per adapter.

Prints one JSON object. For each adapter: seconds to publish (one commit of all objects) and
to merge into main. Baselines measured in the same run:

- git: the porcelain way (write a work tree, ``git add -A``, ``git commit``) for the same
  files, against the plumbing path the adapter uses;
- lakeFS: the same loopback test server (its own process, as a real lakeFS would be) with
  OpenAPI validation switched off, to separate the adapter + HTTP cost from the test
  server's per-request spec validation (``server_validation_s`` sums it over server threads).

Run: ``.venv/bin/python loadtests/bench_versioning.py [--objects 10000] [--workers 8]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from roadlabel.labels import Box3D, FrameLabels, LabelDocument, Lane
from roadlabel.versioning import GitVersioning, VersioningStore, publish_batch
from roadlabel.versioning.layout import batch_objects
from roadlabel.versioning.retry import RetryPolicy

ROOT = Path(__file__).resolve().parents[1]  # the test server runs from here
GOAL_S = 10.0
LINEAGE = {"model_version": "m-7", "ontology_version": "ont-3", "qa_profile_version": "qa-1",
           "annotator_ids": ["p-1", "p-2"], "task_ids": ["bench"], "tasks_total": 1,
           "tasks_accepted": 1, "qa_pass_rate": 0.99, "agreement": 0.9, "cost_per_frame": 0.3}


def documents(n: int) -> list[LabelDocument]:
    """``n`` segments of 10 frames with 3 boxes and 1 lane each (~5 KB of JSON per object)."""
    docs = []
    for k in range(n):
        seq, first = f"drive-{k // 100:04d}", (k % 100) * 10
        frames = tuple(FrameLabels(i, i / 10.0, tuple(
            Box3D(f"t{j}", "car", 10.0 + j + i * 0.1, j - 1.0, 0.8, 4.5, 1.9, 1.6, 0.01 * i)
            for j in range(3)), (Lane("l0", "dashed", "white", ((5.0, 1.8, 0.0),
                                                                  (30.0, 1.9, 0.0))),))
            for i in range(first, first + 10))
        docs.append(LabelDocument(seq, first, frames, "ont-3", "m-7"))
    return docs


def run_adapter(store: VersioningStore, docs: list[LabelDocument]) -> dict[str, float]:
    """Publish as one batch, then merge the branch into main; seconds for each."""
    store.ensure_repository()
    start = time.perf_counter()
    ids = publish_batch(store, "bench", docs, [], LINEAGE,
                        retry=RetryPolicy(sleep=lambda s: None))
    published = time.perf_counter()
    result = store.merge("batch-bench", "main", "bench merge", {"roadlabel.batch": "bench"})
    merged = time.perf_counter()
    assert len(ids) == 1 and result.merged
    assert len(store.list_objects("main", "annotations/")) == len(docs)
    return {"publish_s": round(published - start, 3), "merge_s": round(merged - published, 3),
            "total_s": round(merged - start, 3)}


def git_porcelain_baseline(docs: list[LabelDocument], root: Path) -> float:
    """Seconds for the naive way: files in a work tree, git add -A, git commit."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"}
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    start = time.perf_counter()
    for path, data in batch_objects(docs, []).items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "bench"], check=True, env=env)
    return round(time.perf_counter() - start, 3)


def run_lakefs(docs: list[LabelDocument], workers: int, validate: bool) -> dict[str, Any]:
    """The lakeFS adapter against the loopback test server, run as its own process."""
    from roadlabel.versioning.lakefs_store import LakeFSVersioning

    cmd = [sys.executable, "-m", "tests.lakefs_server", *([] if validate else ["--no-validate"])]
    server = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        endpoint, key, secret = server.stdout.readline().split()
        store = LakeFSVersioning(endpoint, key, secret, "bench", workers=workers)
        out: dict[str, Any] = run_adapter(store, docs)
    finally:
        _, err = server.communicate("", timeout=60)  # closing stdin stops it
    stats = dict(item.split("=") for item in err.split())
    out["requests"] = int(stats["calls"])
    out["server_validation_s"] = float(stats["validation_s"])
    out["spec_violations"] = int(stats["violations"])
    return out


def main() -> None:
    """Run every adapter and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=8, help="lakeFS uploads in flight")
    parser.add_argument("--skip-validated", action="store_true",
                        help="skip the (slow) run with per-request OpenAPI validation")
    args = parser.parse_args()
    docs = documents(args.objects)
    with tempfile.TemporaryDirectory() as tmp:
        git = run_adapter(GitVersioning(Path(tmp) / "dataset.git"), docs)
        git["baseline_porcelain_s"] = git_porcelain_baseline(docs, Path(tmp) / "porcelain")
        git["ratio_vs_porcelain"] = round(git["total_s"] / git["baseline_porcelain_s"], 3)
    raw = run_lakefs(docs, args.workers, validate=False)
    seconds = {"git": git["total_s"], "lakefs_test_server_unvalidated": raw["total_s"]}
    report: dict[str, Any] = {"objects": args.objects, "goal_s": GOAL_S, "cpus": os.cpu_count(),
                              "load_avg_1m": round(os.getloadavg()[0], 2), "git": git,
                              "lakefs_test_server_unvalidated": raw, "seconds": seconds}
    if not args.skip_validated:
        lakefs = run_lakefs(docs, args.workers, validate=True)
        lakefs["ratio_vs_unvalidated"] = round(lakefs["total_s"] / raw["total_s"], 3)
        report["lakefs_test_server"] = lakefs
        seconds["lakefs_test_server"] = lakefs["total_s"]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
