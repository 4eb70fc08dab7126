"""Benchmark: roadlabel ingest vs ffmpeg frame extraction on the same input, settings and cores.

    python loadtests/bench_ingest.py VIDEO [--loop N] [--hz 10] [--width W] [--quality 3]
    python loadtests/bench_ingest.py --generate 60      # a 60 s 1280x720 H.264 test video

Prints one JSON object: roadlabel's decode->sample->resize->encode->store rate (frames out per
second, object-store writes included, Ray start-up excluded) with 1 and 2 Ray workers, against
`ffmpeg -i IN -vf fps=R,scale=W:H -q:v Q OUT%06d.jpg` to local disk and decode-only
`ffmpeg -i IN -f null -`, each the median of --runs runs. ffmpeg comes from the system
(`apt-get install -y ffmpeg`); without it the ffmpeg figures are null and the JSON says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    """Run the benchmark and print its JSON."""
    args = _parser().parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        video = _input(args, work)
        info = _video_info(video)
        width = args.width or info["width"]
        height = args.height or _even(info["height"] * width / info["width"])
        result: dict[str, Any] = {
            "input": {"path": str(video), **info},
            "settings": {"hz": args.hz, "width": width, "height": height,
                         "jpeg_q": args.quality, "cores": os.cpu_count(), "runs": args.runs},
        }
        load_before = os.getloadavg()[0]
        measured = _measure(video, work, args, width, height)
    result.update(_summarise(measured, info))
    # Other work on the machine skews every figure; say how busy it was.
    result["load_avg_1min"] = {"before": load_before, "after": os.getloadavg()[0]}
    print(json.dumps(result, indent=2))
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("video", nargs="?", type=Path)
    p.add_argument("--generate", type=float, metavar="SECONDS",
                   help="benchmark a generated 1280x720 25 fps H.264 video of this length")
    p.add_argument("--loop", type=int, default=1, help="concatenate the input N times (remux)")
    p.add_argument("--hz", type=float, default=10.0)
    p.add_argument("--width", type=int)
    p.add_argument("--height", type=int)
    p.add_argument("--quality", type=int, default=3, help="JPEG quantiser, as ffmpeg -q:v")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    return p


def _input(args: argparse.Namespace, work: Path) -> Path:
    if args.generate:
        from tests.videos import write_video

        return write_video(work / "generated.mp4", width=1280, height=720, fps=25,
                           seconds=args.generate, gop=50, bframes=True)
    if args.video is None or not args.video.is_file():
        raise SystemExit(f"error: {args.video} is not a file; give VIDEO or --generate SECONDS")
    return _looped(args.video, work, args.loop) if args.loop > 1 else args.video


def _looped(src: Path, work: Path, times: int) -> Path:
    """`src` repeated `times` times without re-encoding (packets copied, timestamps shifted)."""
    import av

    out_path = work / f"looped{src.suffix}"
    with av.open(str(out_path), "w") as out:
        stream_out = None
        offset = 0
        for _ in range(times):
            with av.open(str(src)) as inp:
                stream = inp.streams.video[0]
                if stream_out is None:
                    stream_out = out.add_stream_from_template(stream)
                last = 0
                for packet in inp.demux(stream):
                    if packet.dts is None:
                        continue
                    step = packet.duration or 1
                    last = max(last, (packet.pts or 0) + step)
                    packet.pts = None if packet.pts is None else packet.pts + offset
                    packet.dts = packet.dts + offset
                    packet.stream = stream_out
                    out.mux(packet)
                offset += last
    return out_path


def _video_info(path: Path) -> dict[str, Any]:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = sum(1 for p in c.demux(s) if p.size)
        return {"codec": s.codec_context.codec.canonical_name, "width": s.codec_context.width,
                "height": s.codec_context.height, "frames": frames,
                "duration_s": round(float(c.duration or 0) / 1e6, 3)}


def _even(x: float) -> int:
    return max(2, 2 * round(x / 2))


# -- the runs, interleaved so that load from elsewhere on the machine hits every variant ------


def _measure(video: Path, work: Path, args: argparse.Namespace, w: int, h: int) -> dict[str, Any]:
    import ray

    from roadlabel.embedded.s3 import EmbeddedS3
    from workers.ingest import IngestOptions, SettingsStore, ingest_videos

    exe = shutil.which("ffmpeg")
    s3 = EmbeddedS3(work / "s3", bucket="bench")
    s3.start()
    ray.init(num_cpus=max(args.workers), include_dashboard=False, log_to_driver=False)
    times: dict[str, list[float]] = {}
    facts: dict[str, Any] = {}
    try:
        for n in args.workers:  # warm-up: worker processes start, imports load
            _ingest(video, w, h, args, n, s3.settings, IngestOptions, SettingsStore, ingest_videos)
        for _ in range(args.runs):
            if exe is not None:
                out = work / f"ff-{uuid.uuid4().hex[:6]}"
                out.mkdir()
                times.setdefault("ffmpeg_extract", []).append(_timed([
                    exe, "-v", "error", "-i", str(video), "-vf", f"fps={args.hz},scale={w}:{h}",
                    "-q:v", str(args.quality), str(out / "%06d.jpg")]))
                facts["ffmpeg_frames_out"] = len(list(out.iterdir()))
                shutil.rmtree(out)
                times.setdefault("ffmpeg_decode_only", []).append(
                    _timed([exe, "-v", "error", "-i", str(video), "-f", "null", "-"]))
            for n in args.workers:
                seconds, report = _ingest(video, w, h, args, n, s3.settings, IngestOptions,
                                          SettingsStore, ingest_videos)
                times.setdefault(f"roadlabel_{n}", []).append(seconds)
                facts[f"roadlabel_{n}"] = report
    finally:
        ray.shutdown()
        s3.stop()
    return {"times": times, "facts": facts,
            "ffmpeg": subprocess.run([exe, "-version"], capture_output=True, text=True)
            .stdout.split("\n", 1)[0] if exe else None}


def _ingest(video: Path, w: int, h: int, args: argparse.Namespace, n: int, settings: Any,
            options_cls: Any, store_cls: Any, ingest: Any) -> tuple[float, Any]:
    options = options_cls(sample_hz=args.hz, width=w, height=h, jpeg_q=args.quality,
                          max_parallel=n)
    store = _fresh(settings, store_cls)  # a new bucket: nothing is resumed
    start = time.perf_counter()
    report = ingest([str(video)], "bench", options, store)
    seconds = round(time.perf_counter() - start, 3)
    if not report.ok:
        raise SystemExit(f"ingest failed: {report.videos[0].reason}")
    return seconds, report


def _timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return round(time.perf_counter() - start, 3)


def _fresh(settings: Any, store_cls: Any) -> Any:
    from dataclasses import replace

    store = store_cls(replace(settings, bucket=f"bench-{uuid.uuid4().hex[:10]}"))
    store.ensure_bucket()
    return store


def _summarise(m: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    times, facts = m["times"], m["facts"]
    med = {k: statistics.median(v) for k, v in times.items()}
    out: dict[str, Any] = {"runs_s": times}
    workers = sorted(int(k.split("_")[1]) for k in times if k.startswith("roadlabel_"))
    for n in workers:
        report = facts[f"roadlabel_{n}"]
        out[f"roadlabel_{n}_workers"] = {
            "frames_out": report.videos[0].frames, "spans": report.videos[0].spans,
            "frames_per_s": round(report.videos[0].frames / med[f"roadlabel_{n}"], 1),
            "peak_rss_mb_per_worker": round(report.counters["peak_rss_mb"], 1),
        }
    best = out[f"roadlabel_{workers[-1]}_workers"]
    out["roadlabel_frames_per_s"] = best["frames_per_s"]
    out["peak_rss_mb_per_worker"] = max(
        out[f"roadlabel_{n}_workers"]["peak_rss_mb_per_worker"] for n in workers)
    if len(workers) > 1:
        out[f"speedup_{workers[0]}_to_{workers[-1]}_workers"] = round(
            med[f"roadlabel_{workers[0]}"] / med[f"roadlabel_{workers[-1]}"], 2)
    if m["ffmpeg"] is None:
        out["ffmpeg"] = {"available": False,
                         "note": "ffmpeg is not installed: apt-get update && "
                                 "apt-get install -y ffmpeg"}
        out["ratio_vs_ffmpeg"] = None
        return out
    ff_rate = facts["ffmpeg_frames_out"] / med["ffmpeg_extract"]
    out["ffmpeg"] = {
        "available": True, "version": m["ffmpeg"],
        "extract_frames_out": facts["ffmpeg_frames_out"],
        "extract_frames_per_s": round(ff_rate, 1),
        "decode_only_source_frames_per_s": round(info["frames"] / med["ffmpeg_decode_only"], 1),
    }
    out["ratio_vs_ffmpeg"] = round(best["frames_per_s"] / ff_rate, 3)
    # Decode-only is a ceiling: every source frame must be decoded to sample any of them.
    out["ratio_vs_ffmpeg_decode_only_time"] = round(
        med["ffmpeg_decode_only"] / med[f"roadlabel_{workers[-1]}"], 3)
    return out


if __name__ == "__main__":
    sys.exit(main())
