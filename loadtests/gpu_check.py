"""GPU check for the pre-label stage: CUDA provider really used, GPU == CPU, frames/s, GPU use.

Needs an NVIDIA GPU and onnxruntime-gpu (`pip install 'roadlabel[gpu]'`). Prints one JSON
object; exits 2 with a one-line message when there is no GPU or no CUDA provider, 1 when a
check fails. Runs in well under a few minutes:

    python loadtests/gpu_check.py [--batches 8,32,128] [--frames 256]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workers.prelabel.contract import OUTPUTS, baseline_config  # noqa: E402
from workers.prelabel.predictor import Predictor  # noqa: E402
from workers.prelabel.preprocess import to_input  # noqa: E402
from workers.synth import generate_sequence  # noqa: E402

CUDA = "CUDAExecutionProvider"
ATOL = {"heatmap": 2e-3, "box_reg": 1e-2, "lane_exist": 2e-3, "lane_type": 2e-3,
        "lane_color": 2e-3, "lane_u": 2e-3, "lane_vis": 2e-3}


def fail(code: int, message: str) -> None:
    """Print a one-line reason and exit."""
    print(f"gpu_check: {message}", file=sys.stderr)
    raise SystemExit(code)


def gpu_name() -> str:
    """The first GPU's name from nvidia-smi; exits 2 without one."""
    if shutil.which("nvidia-smi") is None:
        fail(2, "no NVIDIA GPU here (nvidia-smi not found); run this on a GPU machine")
    res = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
                         capture_output=True, text=True, check=False, timeout=30)
    if res.returncode != 0 or not res.stdout.strip():
        fail(2, f"nvidia-smi finds no GPU ({res.stderr.strip() or 'no output'})")
    return res.stdout.strip().splitlines()[0]


class UtilisationSampler:
    """Polls nvidia-smi for GPU utilisation (%) and memory (MiB) while a block runs."""

    def __init__(self, period_s: float = 0.2) -> None:
        self.period_s = period_s
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="gpu-util", daemon=True)

    def __enter__(self) -> UtilisationSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _poll(self) -> None:
        query = ["nvidia-smi", "--query-gpu=utilization.gpu,memory.used",
                 "--format=csv,noheader,nounits"]
        while not self._stop.is_set():
            try:
                res = subprocess.run(query, capture_output=True, text=True, timeout=5, check=False)
                util, mem = res.stdout.strip().splitlines()[0].split(",")[:2]
                self.samples.append((float(util), float(mem)))
            except (OSError, ValueError, IndexError, subprocess.TimeoutExpired):
                return  # no nvidia-smi answer: report no samples rather than guess
            self._stop.wait(self.period_s)

    def summary(self) -> dict[str, Any]:
        """Mean and max utilisation, max memory; None values without samples."""
        if not self.samples:
            return {"samples": 0, "util_mean_pct": None, "util_max_pct": None,
                    "memory_max_mib": None}
        util = [u for u, _ in self.samples]
        return {"samples": len(util), "util_mean_pct": round(sum(util) / len(util), 1),
                "util_max_pct": max(util), "memory_max_mib": max(m for _, m in self.samples)}


def input_intrinsics(spec: Any, n: int) -> np.ndarray:
    """`intrinsics` rows of the default camera (60 degree field of view) at the input size."""
    fx = spec.input_width / 2 / np.tan(np.radians(30.0))
    row = [fx, fx, spec.input_width / 2, spec.input_height / 2]
    return np.tile(np.array([row], np.float32), (n, 1))


def nodes_by_provider(predictor_cfg: Any, image: np.ndarray, intr: np.ndarray) -> dict[str, int]:
    """Run once with ORT profiling and count executed graph nodes per execution provider."""
    import onnxruntime as ort

    from workers.prelabel.contract import load_model

    opts = ort.SessionOptions()
    opts.enable_profiling = True
    opts.profile_file_prefix = str(Path(tempfile.mkdtemp()) / "ort")
    sess = ort.InferenceSession(load_model(predictor_cfg), sess_options=opts,
                                providers=[CUDA, "CPUExecutionProvider"])
    sess.run(list(OUTPUTS), {"image": image, "intrinsics": intr})
    events = json.loads(Path(sess.end_profiling()).read_text())
    counts: dict[str, int] = {}
    for ev in events:
        provider = ev.get("args", {}).get("provider")
        if ev.get("cat") == "Node" and provider and ev.get("name", "").endswith("_kernel_time"):
            counts[provider] = counts.get(provider, 0) + 1
    return counts


def main(argv: list[str] | None = None) -> int:
    """Run the checks and print JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batches", default="8,32,128")
    p.add_argument("--frames", type=int, default=256)
    args = p.parse_args(argv)
    name = gpu_name()
    import onnxruntime as ort

    if CUDA not in ort.get_available_providers():
        fail(2, f"onnxruntime {ort.__version__} has no CUDA provider "
                f"({ort.get_available_providers()}); install onnxruntime-gpu")
    cfg = baseline_config()
    gpu = Predictor(replace(cfg, providers=(CUDA, "CPUExecutionProvider")))
    cpu = Predictor(replace(cfg, providers=("CPUExecutionProvider",)))
    result: dict[str, Any] = {"gpu": name, "onnxruntime": ort.__version__,
                              "session_providers": gpu.providers,
                              "model_version": gpu.model_version}
    if gpu.providers[0] != CUDA:
        fail(1, f"CUDA provider not taken by the session: {gpu.providers}")
    seq = generate_sequence(7, n_frames=16)
    image = to_input(seq.frames, gpu.spec.input_height, gpu.spec.input_width)
    intr = input_intrinsics(gpu.spec, len(seq.frames))
    counts = nodes_by_provider(gpu.cfg, image, intr)
    result["nodes_by_provider"] = counts
    out_gpu, out_cpu = gpu.run(image, intr), cpu.run(image, intr)
    diffs = {k: float(np.max(np.abs(out_gpu[k] - out_cpu[k]))) for k in OUTPUTS}
    result["max_abs_diff_gpu_vs_cpu"] = diffs
    labels_gpu = gpu.predict_images(seq.frames, seq.calibration, list(range(16)), [0.0] * 16)
    labels_cpu = cpu.predict_images(seq.frames, seq.calibration, list(range(16)), [0.0] * 16)
    result["boxes_gpu_cpu"] = [sum(len(f.boxes) for f in labels_gpu),
                               sum(len(f.boxes) for f in labels_cpu)]
    result["fps"] = throughput(gpu, cpu, seq.frames, seq.calibration, args)
    checks = {
        "cuda_runs_nodes": counts.get(CUDA, 0) > counts.get("CPUExecutionProvider", 0),
        "outputs_within_tolerance": all(diffs[k] <= ATOL[k] for k in OUTPUTS),
        "same_box_count": abs(result["boxes_gpu_cpu"][0] - result["boxes_gpu_cpu"][1]) <= 1,
    }
    result["checks"] = checks
    print(json.dumps(result, indent=1))
    return 0 if all(checks.values()) else 1


def throughput(gpu: Predictor, cpu: Predictor, frames: list[np.ndarray], cal: Any,
               args: argparse.Namespace) -> dict[str, Any]:
    """Session frames/s per batch size (GPU with I/O binding, CPU), and the whole stage."""
    out: dict[str, Any] = {}
    spec = gpu.spec
    for bs in (int(b) for b in args.batches.split(",")):
        image = np.random.default_rng(0).random((bs, 3, spec.input_height, spec.input_width),
                                                dtype=np.float32)
        intr = input_intrinsics(spec, bs)
        for label, pred, reps in (("gpu", gpu, max(4, args.frames // bs)), ("cpu", cpu, 2)):
            pred.run(image, intr)  # warm-up (CUDA kernels, memory arena)
            t = time.perf_counter()
            for _ in range(reps):
                pred.run(image, intr)
            out[f"session_{label}_batch{bs}"] = round(bs * reps / (time.perf_counter() - t), 1)
    many = (frames * (args.frames // len(frames) + 1))[: args.frames]
    gpu.predict_images(many[:8], cal, list(range(8)), [0.0] * 8)
    t = time.perf_counter()
    with UtilisationSampler() as util:
        gpu.predict_images(many, cal, list(range(len(many))), [0.0] * len(many))
    out["stage_gpu_fps_resize_decode_included"] = round(len(many) / (time.perf_counter() - t), 1)
    out["stage_gpu_utilisation"] = util.summary()
    bs_max = max(int(b) for b in args.batches.split(","))
    image = np.random.default_rng(0).random((bs_max, 3, spec.input_height, spec.input_width),
                                            dtype=np.float32)
    intr = input_intrinsics(spec, bs_max)
    t, runs = time.perf_counter(), 0
    with UtilisationSampler() as util:
        while time.perf_counter() - t < 3.0:  # long enough for nvidia-smi's sampling window
            gpu.run(image, intr)
            runs += 1
    out[f"session_gpu_batch{bs_max}_sustained_fps"] = round(bs_max * runs
                                                             / (time.perf_counter() - t), 1)
    out["session_gpu_utilisation"] = util.summary()
    return out


if __name__ == "__main__":
    raise SystemExit(main())
