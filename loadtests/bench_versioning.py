"""Benchmark: commit 10,000 objects to a batch branch and merge it into main, per adapter.

Prints one JSON object. The objects are what ``publish_batch`` writes (per segment: its JSON
document and its boxes and lanes Parquet files; plus manifests to make the count exact),
encoded once beforehand (``encode_s``). For each adapter: seconds to publish them
(``publish_objects``: upload + one commit) and to merge the branch into main;
``total_s`` = publish + merge is what the goal (``goal_s``) is about. Baselines measured in
the same run:

- git: the porcelain way (write a work tree, ``git add -A``, ``git commit``) for the same
  files, against the plumbing path the adapter uses;
- lakeFS: the loopback test server (its own process, as a real lakeFS would be) with its
  OpenAPI validation switched off (``lakefs_test_server_unvalidated``: the adapter + HTTP
  cost, what the goal is checked on) and on (``lakefs_test_server_validated``: every request
  and response checked as in the tests; ``server_validation_s``: CPU seconds it took).
  ``client_cpu_s`` / ``server_cpu_s`` say where the CPU went (the server's includes its start).

Run: ``.venv/bin/python loadtests/bench_versioning.py [--objects 10000] [--workers 8]
[--repeat 3]`` (each figure is the median of ``--repeat`` runs; the lakeFS runs with and
without the test server's OpenAPI validation are reported under separate keys).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from roadlabel.labels import Box3D, Calibration, FrameLabels, LabelDocument, Lane
from roadlabel.manifest import SequenceManifest, VideoInfo
from roadlabel.versioning import GitVersioning, VersioningStore, publish_objects
from roadlabel.versioning.retry import RetryPolicy

ROOT = Path(__file__).resolve().parents[1]  # the test server runs from here
GOAL_S = 10.0
OBJECTS_PER_DOCUMENT = 3  # JSON + boxes Parquet + lanes Parquet
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


def manifests(n: int) -> list[SequenceManifest]:
    """``n`` small manifests (they make the object count exact)."""
    return [SequenceManifest(f"drive-{k:04d}", "bench", f"s3://raw/{k}.mp4", "ab" * 32,
                             VideoInfo("mp4", "h264", 1280, 720, 1.0),
                             Calibration.default_for(1280, 720), 10.0, "jpeg", 1280, 720,
                             "av-18", ()) for k in range(n)]


def batch(objects: int) -> tuple[dict[str, bytes], float]:
    """Exactly ``objects`` encoded objects of one batch, and the seconds encoding took."""
    from roadlabel.versioning.layout import batch_objects

    docs = documents(objects // OBJECTS_PER_DOCUMENT)
    start = time.perf_counter()
    out = batch_objects(docs, manifests(objects % OBJECTS_PER_DOCUMENT))
    encode_s = time.perf_counter() - start
    assert len(out) == objects, len(out)
    return out, encode_s


def run_adapter(store: VersioningStore, objects: dict[str, bytes]) -> dict[str, float]:
    """Publish as one batch (one commit), then merge the branch into main; seconds for each."""
    store.ensure_repository()
    start = time.perf_counter()
    ids = publish_objects(store, "bench", objects, LINEAGE,
                          retry=RetryPolicy(sleep=lambda s: None))
    published = time.perf_counter()
    result = store.merge("batch-bench", "main", "bench merge", {"roadlabel.batch": "bench"})
    merged = time.perf_counter()
    assert len(ids) == 1 and result.merged
    assert len(store.list_objects("main")) == len(objects)
    return {"publish_s": published - start, "merge_s": merged - published,
            "total_s": merged - start}


def git_porcelain_baseline(objects: dict[str, bytes], root: Path) -> float:
    """Seconds for the naive way: files in a work tree, git add -A, git commit."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x",
           "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"}
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    start = time.perf_counter()
    for path, data in objects.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "bench"], check=True, env=env)
    return time.perf_counter() - start


def run_git(objects: dict[str, bytes]) -> dict[str, float]:
    """The git adapter on a fresh repository, and the porcelain baseline."""
    with tempfile.TemporaryDirectory() as tmp:
        out = run_adapter(GitVersioning(Path(tmp) / "dataset.git"), objects)
        out["baseline_porcelain_s"] = git_porcelain_baseline(objects, Path(tmp) / "porcelain")
    return out


def run_lakefs(objects: dict[str, bytes], workers: int, validate: bool) -> dict[str, float]:
    """The lakeFS adapter against the loopback test server, run as its own process."""
    from roadlabel.versioning.lakefs_store import LakeFSVersioning

    cmd = [sys.executable, "-m", "tests.lakefs_server", *([] if validate else ["--no-validate"])]
    server = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        endpoint, key, secret = server.stdout.readline().split()
        store = LakeFSVersioning(endpoint, key, secret, "bench", workers=workers)
        cpu = time.process_time()
        out = run_adapter(store, objects)
        out["client_cpu_s"] = time.process_time() - cpu
    finally:
        _, err = server.communicate("", timeout=60)  # closing stdin stops it
    stats = dict(item.split("=") for item in err.split())
    out["requests"] = float(stats["calls"])
    out["server_validation_s"] = float(stats["validation_s"])
    out["spec_violations"] = float(stats["violations"])
    out["server_cpu_s"] = float(stats["cpu_s"])  # includes its start (spec loading)
    return out


def median_of(repeat: int, run: Callable[[], dict[str, float]]) -> dict[str, Any]:
    """Run ``repeat`` times; the median of every figure (rounded) and the runs' totals."""
    runs = [run() for _ in range(repeat)]
    out: dict[str, Any] = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    out["total_s_runs"] = [round(r["total_s"], 3) for r in runs]
    return out


def main() -> None:
    """Run every adapter ``--repeat`` times and print one JSON object of medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=8, help="lakeFS uploads in flight")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--skip-validated", action="store_true",
                        help="skip the (slow) run with per-request OpenAPI validation")
    parser.add_argument("--skip-git", action="store_true")
    args = parser.parse_args()
    objects, encode_s = batch(args.objects)
    report: dict[str, Any] = {"objects": args.objects, "encode_s": round(encode_s, 3),
                              "goal_s": GOAL_S, "goal_measures": "total_s (publish + merge)",
                              "repeat": args.repeat, "workers": args.workers,
                              "cpus": os.cpu_count()}
    if not args.skip_git:
        git = median_of(args.repeat, lambda: run_git(objects))
        git["ratio_vs_porcelain"] = round(git["total_s"] / git["baseline_porcelain_s"], 3)
        report["git"] = git
    raw = median_of(args.repeat, lambda: run_lakefs(objects, args.workers, validate=False))
    raw["meets_goal"] = raw["total_s"] < GOAL_S
    report["lakefs_test_server_unvalidated"] = raw
    if not args.skip_validated:
        checked = median_of(args.repeat, lambda: run_lakefs(objects, args.workers, True))
        checked["ratio_vs_unvalidated"] = round(checked["total_s"] / raw["total_s"], 3)
        checked["meets_goal"] = checked["total_s"] < GOAL_S
        report["lakefs_test_server_validated"] = checked
    report["load_avg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
