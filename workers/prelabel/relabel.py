"""Re-encode the lane targets of a cached training set for another number of lane slots.

Lane ground truth comes from the scene alone (no rendering), so a dataset rendered for a
6-slot head can train an 8-slot head in seconds. The scenes are named by the same seed range
as the command that rendered the cache; re-encoding at the cache's own slot count must give
back its targets exactly, which proves the range is right before anything is written.

    python -m workers.prelabel.relabel ds_v7.npz --seed0 108000 --sequences 4000 \\
        --frames 16 --step 4 --lanes 8 --out ds_v7_l8.npz
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from roadlabel.labels import FrameLabels
from workers.prelabel.contract import ModelSpec
from workers.prelabel.targets import encode_lanes
from workers.prelabel.train import TARGET_KEYS, lane_count, make_spec
from workers.synth import SceneConfig, make_scene
from workers.synth.groundtruth import lane_labels

LANE_KEYS = tuple(k for k in TARGET_KEYS if k.startswith("lane_"))


def lane_targets(spec: ModelSpec, seed0: int, n_sequences: int, frames_per_seq: int,
                 step: int) -> dict[str, np.ndarray]:
    """Lane targets of the frames build_dataset renders for the same arguments, in its order."""
    cfg = SceneConfig(n_frames=frames_per_seq)
    out: dict[str, list[np.ndarray]] = {k: [] for k in LANE_KEYS}
    for i in range(n_sequences):
        scene = make_scene(seed0 + i, cfg)
        for frame in range(0, frames_per_seq, step):
            t = scene.time(frame)
            labels = FrameLabels(frame, t, (), lane_labels(scene, t))
            for k, v in encode_lanes(labels, spec, scene.calibration).items():
                out[k].append(v)
    return {k: np.stack(v) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    """Command line: check the seed range against the cache, then write the re-encoded copy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cache", type=Path)
    parser.add_argument("--seed0", type=int, required=True)
    parser.add_argument("--sequences", type=int, required=True)
    parser.add_argument("--frames", type=int, required=True)
    parser.add_argument("--step", type=int, required=True)
    parser.add_argument("--lanes", type=lane_count, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not args.cache.exists():
        raise SystemExit(f"{args.cache} does not exist: render it with workers.prelabel.train")
    if args.out.suffix != ".npz":
        raise SystemExit(f"--out {args.out}: give a path ending in .npz")
    start = time.perf_counter()
    with np.load(args.cache) as cached:
        data = dict(cached)
    height, width = data["image"].shape[2:]
    old = make_spec(height, width, data["lane_exist"].shape[1])
    seeds = (args.seed0, args.sequences, args.frames, args.step)
    check = lane_targets(old, *seeds)
    if any(check[k].shape != data[k].shape or not np.allclose(check[k], data[k], atol=1e-5)
           for k in LANE_KEYS):
        raise SystemExit(f"{args.cache}: its lane targets are not those of seeds "
                         f"{args.seed0}..{args.seed0 + args.sequences - 1} with --frames "
                         f"{args.frames} --step {args.step}; give the range it was rendered from")
    data.update(lane_targets(make_spec(height, width, args.lanes), *seeds))
    np.savez(args.out, **data)
    print(json.dumps({"frames": len(data["image"]), "lanes": args.lanes, "out": str(args.out),
                      "seconds": round(time.perf_counter() - start, 1)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
