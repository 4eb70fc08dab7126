"""Benchmark of inline QA (qa.check_document): recall per error kind, false positives, speed.

Generates clean sequences with plausible traffic (lanes of cars, trucks, buses, cyclists and
pedestrians moving smoothly in a world frame, a straight-driving ego vehicle, lane markings),
injects one error of each kind at magnitudes below and above the profile's threshold, and
prints ONE JSON object. Run: ``.venv/bin/python loadtests/bench_qa.py [--quick]``.

Throughput is per core: qa uses only element-wise numpy (no BLAS), which runs on one thread.
The baseline measured in the same run is the time to merely read every box's fields in Python.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qa import DEFAULT_PROFILE, Finding, check_arrays, check_document, document_to_arrays
from roadlabel.labels import Box3D, FrameLabels, LabelDocument, Lane

P = DEFAULT_PROFILE
DT = 0.1
SIZES = {
    "car": (4.5, 1.9, 1.6), "truck": (8.0, 2.5, 3.2), "bus": (12.0, 2.6, 3.2),
    "pedestrian": (0.6, 0.6, 1.75), "cyclist": (1.8, 0.7, 1.7), "motorcycle": (2.1, 0.8, 1.5),
}
MARKINGS_Y = (-8.75, -5.25, -1.75, 1.75, 5.25)
ROADS = (  # (lateral position, direction, base speed, categories, spacing)
    (-10.5, -1, 13.0, ("car", "truck", "bus"), 22.0),
    (-7.0, -1, 11.0, ("car", "car", "motorcycle"), 20.0),
    (-3.5, 1, 12.0, ("car", "truck", "car"), 20.0),
    (0.0, 1, 14.0, ("car", "car", "bus"), 22.0),
    (3.5, 1, 10.0, ("car", "car", "truck"), 20.0),
    (8.5, 1, 5.0, ("cyclist",), 12.0),
    (12.5, -1, 1.4, ("pedestrian",), 4.0),
    (14.0, 1, 1.3, ("pedestrian",), 4.0),
)


def _box(tid: str, cat: str, row: np.ndarray) -> Box3D:
    x, y, z, length, width, height, yaw = (float(v) for v in row)
    return Box3D(tid, cat, x, y, z, length, width, height, yaw)


@dataclass
class Seq:
    """A sequence as ego-frame arrays, so that errors can be injected before labelling."""

    t: np.ndarray
    ego: np.ndarray  # (F, 3) world pose
    ids: list[str]
    cats: list[str]
    box: np.ndarray  # (F, N, 7) x, y, z, l, w, h, yaw in the ego frame
    present: np.ndarray  # (F, N)
    lane_ids: list[list[str]]
    lane_pts: np.ndarray  # (F, M, P, 3)
    extra: list[tuple[int, Box3D]] = field(default_factory=list)

    def to_document(self) -> LabelDocument:
        frames = []
        for f in range(self.t.shape[0]):
            boxes = [
                _box(self.ids[n], self.cats[n], self.box[f, n])
                for n in np.flatnonzero(self.present[f])
            ]
            boxes += [b for ef, b in self.extra if ef == f]
            lanes = tuple(
                Lane(lid, "dashed", "white", tuple(map(tuple, self.lane_pts[f, m].tolist())))
                for m, lid in enumerate(self.lane_ids[f])
            )
            frames.append(FrameLabels(f, float(self.t[f]), tuple(boxes), lanes))
        return LabelDocument("bench", 0, tuple(frames))


def generate(
    rng: np.random.Generator, n_frames: int, n_objects: int, noise: float = 1.0
) -> Seq:
    """Clean ground truth: smooth world motion seen from a gently steering ego vehicle.

    ``noise`` scales the labelling jitter (1.0: 1 cm position, 0.005 rad yaw, 2 cm height).
    """
    t = np.arange(n_frames) * DT + rng.uniform(-0.002, 0.002, n_frames)
    ego_x = 14.0 * t + 0.8 / 0.4 * np.sin(0.4 * t)
    ego_yaw = 0.1 * np.sin(0.3 * t)
    ego = np.column_stack([ego_x, np.zeros(n_frames), ego_yaw])
    slots = [(r, k) for r in range(len(ROADS)) for k in range(8)]
    chosen = rng.choice(len(slots), size=n_objects, replace=False)
    ids, cats, boxes = [], [], np.zeros((n_frames, n_objects, 7))
    for n, s in enumerate(chosen):
        road, k = slots[int(s)]
        cat, world = _object_track(rng, t, road, k)
        ids.append(f"{cat}-{n}")
        cats.append(cat)
        boxes[:, n] = world
    boxes[:, :, 0:2] = _to_ego(boxes[:, :, 0:2], ego)
    boxes[:, :, 6] -= ego_yaw[:, None]
    boxes[:, :, 0:2] += rng.normal(0, 0.01 * noise, (n_frames, n_objects, 2))
    boxes[:, :, 2] += rng.normal(0, 0.02 * noise, (n_frames, n_objects))
    boxes[:, :, 6] += rng.normal(0, 0.005 * noise, (n_frames, n_objects))
    world_lanes = np.zeros((n_frames, len(MARKINGS_Y), 13, 2))
    world_lanes[..., 0] = ego_x[:, None, None] + np.arange(2.0, 63.0, 5.0)
    world_lanes[..., 1] = np.array(MARKINGS_Y)[None, :, None]
    lane_pts = np.zeros((n_frames, len(MARKINGS_Y), 13, 3))
    lane_pts[..., :2] = _to_ego(world_lanes.reshape(n_frames, -1, 2), ego).reshape(
        world_lanes.shape
    )
    lane_pts[..., :2] += rng.normal(0, 0.02 * noise, lane_pts[..., :2].shape)
    lane_ids = [[f"lane-{m}" for m in range(len(MARKINGS_Y))] for _ in range(n_frames)]
    present = np.ones((n_frames, n_objects), bool)
    return Seq(t, ego, ids, cats, boxes, present, lane_ids, lane_pts)


def _to_ego(world: np.ndarray, ego: np.ndarray) -> np.ndarray:
    """World (F, N, 2) points into each frame's ego frame."""
    c, s = np.cos(ego[:, 2])[:, None], np.sin(ego[:, 2])[:, None]
    dx, dy = world[..., 0] - ego[:, 0:1], world[..., 1] - ego[:, 1:2]
    return np.stack([c * dx + s * dy, -s * dx + c * dy], axis=-1)


def _world_xy(s: Seq, f: int, n: int) -> np.ndarray:
    """Box n's centre at frame f in the world frame."""
    c, sn = math.cos(s.ego[f, 2]), math.sin(s.ego[f, 2])
    x, y = s.box[f, n, 0], s.box[f, n, 1]
    return np.array([s.ego[f, 0] + c * x - sn * y, s.ego[f, 1] + sn * x + c * y])


def _object_track(
    rng: np.random.Generator, t: np.ndarray, road: int, k: int
) -> tuple[str, np.ndarray]:
    y0, direction, v0, pool, spacing = ROADS[road]
    cat = str(rng.choice(pool))
    length, width, height = (s * rng.uniform(0.95, 1.05) for s in SIZES[cat])
    # Same speed profile for the whole road keeps the spacing, so clean boxes never collide.
    rs = np.random.default_rng(road)
    amp, omega, phase = rs.uniform(0.3, 1.5), rs.uniform(0.2, 0.6), rs.uniform(0, 6.28)
    x0 = -60.0 + k * spacing + rs.uniform(0, 3)
    x = x0 + direction * (v0 * t - amp / omega * np.cos(omega * t + phase))
    wobble = 0.3 if cat == "pedestrian" else 0.15
    y = y0 + wobble * np.sin(0.3 * t + k)
    vx = direction * (v0 + amp * np.sin(omega * t + phase))
    vy = wobble * 0.3 * np.cos(0.3 * t + k)
    yaw = np.arctan2(vy, vx)
    out = np.column_stack([
        x, y, np.full_like(t, height / 2), np.full_like(t, length), np.full_like(t, width),
        np.full_like(t, height), yaw,
    ])
    return cat, out


# --- error injection ---------------------------------------------------------------------

def _heading(s: Seq, f: int, n: int) -> np.ndarray:
    return np.array([math.cos(s.box[f, n, 6]), math.sin(s.box[f, n, 6])])


def _pick(rng: np.random.Generator, s: Seq, cats: tuple[str, ...] = ()) -> int:
    options = [n for n, c in enumerate(s.cats) if not cats or c in cats]
    return int(rng.choice(options))


def _limits(s: Seq, n: int) -> tuple[float, float, float, float]:
    lim = P.limits_for(s.cats[n])
    return lim.max_speed_mps, lim.max_accel_mps2, lim.max_yaw_rate_rps, lim.size_tolerance


def inj_size(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    n, f = _pick(rng, s, ("car", "truck", "bus")), int(rng.integers(5, len(s.t) - 5))
    dim = int(rng.integers(3, 6))
    s.box[f:, n, dim] *= 1.0 + m * _limits(s, n)[3]
    return (s.ids[n],)


def inj_speed(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    n, f = _pick(rng, s), int(rng.integers(5, len(s.t) - 5))
    v_now = np.linalg.norm(_world_xy(s, f, n) - _world_xy(s, f - 1, n)) / (s.t[f] - s.t[f - 1])
    delta = (m * _limits(s, n)[0] - v_now) * (s.t[f] - s.t[f - 1])
    s.box[f:, n, :2] += delta * _heading(s, f, n)
    return (s.ids[n],)


def inj_accel(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    # A velocity step: the box speeds up by dv, with dv = m * limit * accel window.
    n, f = _pick(rng, s), int(rng.integers(5, len(s.t) - 5))
    dv = m * _limits(s, n)[1] * P.accel_window_s
    s.box[f:, n, :2] += dv * (s.t[f:] - s.t[f - 1])[:, None] * _heading(s, f, n)
    return (s.ids[n],)


def inj_yaw_rate(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    # The threshold per step is max yaw rate x dt plus the profile's heading-jitter allowance.
    n, f = _pick(rng, s), int(rng.integers(5, len(s.t) - 5))
    dt = s.t[f] - s.t[f - 1]
    turn = m * (_limits(s, n)[2] * dt + P.yaw_jitter_rad)
    if turn >= P.yaw_flip_min_rad:  # that would be a flip, another check
        n = _pick(rng, s, ("car", "truck", "bus"))
        turn = m * (_limits(s, n)[2] * dt + P.yaw_jitter_rad)
    s.box[f:, n, 6] += turn
    return (s.ids[n],)


def inj_flip(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    n, f = _pick(rng, s, ("car", "truck", "bus")), int(rng.integers(5, len(s.t) - 5))
    s.box[f:, n, 6] += min(m * P.yaw_flip_min_rad, math.pi)
    return (s.ids[n],)


def inj_id_switch(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    f = int(rng.integers(5, len(s.t) - 5))
    a = _pick(rng, s)
    d = np.linalg.norm(s.box[f, :, :2] - s.box[f, a, :2], axis=1)
    near = [int(b) for b in np.argsort(d)[1:6] if s.cats[b] == s.cats[a]] or [int(np.argsort(d)[1])]
    b = int(rng.choice(near))
    s.box[f:, [a, b]] = s.box[f:, [b, a]]
    if s.cats[a] != s.cats[b]:
        s.box[f:, [a, b], 3:6] = s.box[f:, [b, a], 3:6]
    return (s.ids[a], s.ids[b])


def inj_category(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    n, f = _pick(rng, s), int(rng.integers(5, len(s.t) - 5))
    other = "truck" if s.cats[n] != "truck" else "bus"
    s.extra += [(g, _box(s.ids[n], other, s.box[g, n])) for g in range(f, len(s.t))]
    s.present[f:, n] = False
    return (s.ids[n],)


def inj_teleport(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    n, f = _pick(rng, s), int(rng.integers(5, len(s.t) - 5))
    dt = s.t[f] - s.t[f - 1]
    jump = max(m * P.teleport_speed_factor * _limits(s, n)[0] * dt, m * P.teleport_min_m)
    s.box[f:, n, 0] += jump * float(rng.choice([-1, 1]))
    return (s.ids[n],)


def inj_gap(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    n = _pick(rng, s)
    g = max(1, round(m * P.max_gap_frames))
    f = int(rng.integers(3, len(s.t) - g - 3))
    s.present[f : f + g, n] = False
    return (s.ids[n],)


def inj_overlap(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    # A second object's box (a new track) over an existing one with a chosen 3D IoU.
    n, f = _pick(rng, s, ("car", "truck", "bus")), int(rng.integers(0, len(s.t)))
    iou = m * P.max_overlap_iou
    length = s.box[f, n, 3]
    offset = length * (1 - iou) / (1 + iou)
    b = s.box[f, n].copy()
    b[:2] += offset * _heading(s, f, n)
    s.extra.append((f, _box("extra-1", s.cats[n], b)))
    return (s.ids[n], "extra-1")


def _ground_level(s: Seq, f: int, n: int, base: float) -> float:
    rng_m = float(np.hypot(*s.box[f, n, :2]))
    return base + math.copysign(P.ground_tolerance_per_m * rng_m, base)


def inj_below(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    n, f = _pick(rng, s), int(rng.integers(0, len(s.t)))
    s.box[f, n, 2] = m * _ground_level(s, f, n, P.ground_z_min_m) + s.box[f, n, 5] / 2
    return (s.ids[n],)


def inj_float(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    n, f = _pick(rng, s), int(rng.integers(0, len(s.t)))
    s.box[f, n, 2] = m * _ground_level(s, f, n, P.ground_z_max_m) + s.box[f, n, 5] / 2
    return (s.ids[n],)


def inj_duplicate(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    n, f = _pick(rng, s), int(rng.integers(0, len(s.t)))
    b = s.box[f, n].copy()
    b[1] += 30.0
    s.extra.append((f, _box(s.ids[n], s.cats[n], b)))
    return (s.ids[n],)


def inj_lane_jump(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    lane, f = int(rng.integers(0, len(MARKINGS_Y))), int(rng.integers(3, len(s.t) - 3))
    s.lane_pts[f:, lane, :, 1] += m * P.lane_lateral_jump_m * float(rng.choice([-1, 1]))
    return (s.lane_ids[f][lane],)


def inj_lane_switch(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    lane, f = int(rng.integers(0, len(MARKINGS_Y))), int(rng.integers(3, len(s.t) - 3))
    if rng.random() < 0.5:  # renamed from here on
        for g in range(f, len(s.t)):
            s.lane_ids[g][lane] = "lane-renamed"
        return (s.lane_ids[0][lane], "lane-renamed")
    other = lane + 1 if lane + 1 < len(MARKINGS_Y) else lane - 1
    for g in range(f, len(s.t)):
        s.lane_ids[g][lane], s.lane_ids[g][other] = s.lane_ids[g][other], s.lane_ids[g][lane]
    return (s.lane_ids[0][lane], s.lane_ids[0][other])


def inj_lane_kink(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    lane, f = int(rng.integers(0, len(MARKINGS_Y))), int(rng.integers(0, len(s.t)))
    v = int(rng.integers(2, 11))
    angle = math.radians(m * P.lane_max_turn_deg)
    s.lane_pts[f, lane, v, 1] += 5.0 * math.tan(angle / 2) * float(rng.choice([-1, 1]))
    return (s.lane_ids[f][lane],)


def inj_lane_cross(rng: np.random.Generator, s: Seq, m: float) -> tuple[str, ...]:
    lane, f = int(rng.integers(1, len(MARKINGS_Y) - 1)), int(rng.integers(0, len(s.t)))
    other = lane + int(rng.choice([-1, 1]))
    gap = MARKINGS_Y[other] - MARKINGS_Y[lane]
    x = s.lane_pts[f, lane, :, 0]
    s.lane_pts[f, lane, :, 1] += gap * 1.6 * (x - x[0]) / (x[-1] - x[0])
    return (s.lane_ids[f][lane], s.lane_ids[f][other])


Injector = Callable[[np.random.Generator, Seq, float], tuple[str, ...]]
# kind: (expected check, injector, magnitudes below threshold, magnitudes above threshold)
KINDS: dict[str, tuple[str, Injector, tuple[float, ...], tuple[float, ...]]] = {
    "size_change": ("size_change", inj_size, (0.5, 0.8), (1.2, 1.5, 3.0)),
    "speed": ("speed", inj_speed, (0.5, 0.8), (1.2, 1.5, 1.9)),
    "acceleration": ("acceleration", inj_accel, (0.3, 0.5), (1.2, 1.5, 3.0)),
    "yaw_rate": ("yaw_rate", inj_yaw_rate, (0.5, 0.8), (1.2, 1.5, 2.0)),
    "yaw_flip": ("yaw_flip", inj_flip, (0.85, 0.95), (1.05, 1.1, 1.3)),
    "id_switch": ("id_switch", inj_id_switch, (), (1.0,)),
    "id_reuse_category": ("id_reuse", inj_category, (), (1.0,)),
    "id_reuse_teleport": ("id_reuse", inj_teleport, (), (1.2, 1.5, 3.0)),
    "track_gap": ("track_gap", inj_gap, (), (1.5, 2.0, 5.0)),
    "coverage": ("coverage", inj_gap, (), (0.5, 1.0)),
    "overlap": ("overlap", inj_overlap, (0.5, 0.8), (1.2, 1.5, 3.0, 6.0)),
    "below_ground": ("below_ground", inj_below, (0.5, 0.8), (1.2, 1.5, 3.0)),
    "floating": ("floating", inj_float, (0.5, 0.8), (1.2, 1.5, 3.0)),
    "duplicate_track_id": ("duplicate_track_id", inj_duplicate, (), (1.0,)),
    "lane_jump": ("lane_jump", inj_lane_jump, (0.5, 0.8), (1.2, 1.5, 3.0)),
    "lane_id_switch": ("lane_id_switch", inj_lane_switch, (), (1.0,)),
    "lane_smoothness": ("lane_smoothness", inj_lane_kink, (0.5, 0.8), (1.2, 1.5, 3.0)),
    "lane_crossing": ("lane_crossing", inj_lane_cross, (), (1.0,)),
}


def _detected(findings: list[Finding], check: str, ids: tuple[str, ...]) -> bool:
    return any(f.check == check and set(ids) & set(f.track_ids) for f in findings)


def recall(rng: np.random.Generator, trials: int) -> dict[str, dict[str, Any]]:
    """Per kind: detection rate above threshold, per magnitude, and the rate below it."""
    out: dict[str, dict[str, Any]] = {}
    for kind, (check, inject, below, above) in KINDS.items():
        by_magnitude = {}
        for m in (*below, *above):
            hits = 0
            for _ in range(trials):
                s = generate(rng, 30, 14)
                ids = inject(rng, s, m)
                hits += _detected(check_document(s.to_document(), P, s.ego), check, ids)
            by_magnitude[m] = hits / trials
        stats: dict[str, Any] = {
            "check": check,
            "recall_above": statistics.mean(by_magnitude[m] for m in above),
            "recall_by_magnitude": {f"{m:g}x": by_magnitude[m] for m in above},
        }
        if below:
            stats["flag_rate_below"] = statistics.mean(by_magnitude[m] for m in below)
            stats["flag_rate_by_magnitude"] = {f"{m:g}x": by_magnitude[m] for m in below}
        out[kind] = stats
    return out


def false_positives(
    rng: np.random.Generator, n_seq: int, with_ego: bool, noise: float = 1.0
) -> dict[str, Any]:
    """Fraction of clean tracks (and lanes) with any finding."""
    flagged_tracks = tracks = flagged_lanes = lanes = 0
    checks: dict[str, int] = {}
    for _ in range(n_seq):
        s = generate(rng, 60, 30, noise)
        found = check_document(s.to_document(), P, s.ego if with_ego else None)
        hit = {t for f in found for t in f.track_ids}
        for f in found:
            checks[f.check] = checks.get(f.check, 0) + 1
        flagged_tracks += len(hit & set(s.ids))
        tracks += len(s.ids)
        flagged_lanes += len(hit & set(s.lane_ids[0]))
        lanes += len(s.lane_ids[0])
    return {
        "track_fp_rate": flagged_tracks / tracks, "lane_fp_rate": flagged_lanes / lanes,
        "clean_tracks": tracks, "clean_lanes": lanes, "findings_by_check": checks,
    }


def _median_s(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def speed_figures(rng: np.random.Generator, repeats: int) -> dict[str, float]:
    """Inline latency (document in, findings out) and array-core throughput, 100 x 50."""
    s = generate(rng, 100, 50)
    doc = s.to_document()
    arrays = document_to_arrays(doc, s.ego)
    box_frames = sum(len(f.boxes) for f in doc.frames)
    inline = _median_s(lambda: check_document(doc, P, s.ego), repeats)
    core = _median_s(lambda: check_arrays(arrays, P), repeats)
    build = _median_s(lambda: document_to_arrays(doc, s.ego), repeats)
    no_ego = _median_s(lambda: check_document(doc, P), repeats)
    # Baseline from the same run: just reading every box's fields in Python.
    floor = _median_s(lambda: [(b.x, b.y, b.z, b.yaw) for f in doc.frames for b in f.boxes],
                      repeats)
    big = generate(rng, 1000, 50)
    big_arrays = document_to_arrays(big.to_document(), big.ego)
    big_core = _median_s(lambda: check_arrays(big_arrays, P), max(3, repeats // 5))
    return {
        "inline_latency_ms_100x50": inline * 1e3,
        "inline_latency_ms_100x50_no_ego": no_ego * 1e3,
        "document_to_arrays_ms": build * 1e3,
        "array_core_ms_100x50": core * 1e3,
        "box_frames_per_s": box_frames / core,
        "box_frames_per_s_1000x50": 50_000 / big_core,
        "baseline_python_read_ms": floor * 1e3,
        "inline_over_python_read_ratio": inline / floor,
        "lanes_per_frame": float(len(MARKINGS_Y)),
    }


def run(quick: bool, seed: int) -> dict[str, Any]:
    """The whole benchmark as one JSON-able dict."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    per_kind = recall(rng, 6 if quick else 30)
    fp = false_positives(rng, 8 if quick else 40, with_ego=True)
    fp_no_ego = false_positives(rng, 4 if quick else 15, with_ego=False)
    # How the false-positive rate grows with sloppier (but correct) labels.
    fp_noise = {
        f"{k:g}x": {key: v for key, v in false_positives(rng, 4 if quick else 15, True, k).items()
                    if key in ("track_fp_rate", "findings_by_check")}
        for k in (2.0, 3.0, 5.0)
    }
    perf = speed_figures(rng, 7 if quick else 25)
    return {
        "profile": P.version, "seed": seed,
        "min_recall": min(v["recall_above"] for v in per_kind.values()),
        "max_false_positive_rate": max(fp["track_fp_rate"], fp["lane_fp_rate"]),
        "box_frames_per_s": perf["box_frames_per_s"],
        "inline_latency_ms_100x50": perf["inline_latency_ms_100x50"],
        "per_check": per_kind, "false_positives_with_ego": fp,
        "false_positives_without_ego": fp_no_ego, "track_fp_rate_by_label_noise": fp_noise,
        "performance": perf, "bench_seconds": time.perf_counter() - t0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer trials (smoke run)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(run(args.quick, args.seed), indent=None, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
