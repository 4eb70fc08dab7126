"""A synthetic driving scene drawn from a seed: road, actors with their own motion, ego, light.

Everything is a pure function of (seed, SceneConfig): the same seed gives the same scene, frames
and ground truth on every machine. Actors move in road coordinates, so they follow curves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from roadlabel.labels import Calibration
from workers.prelabel.camera import mounted_calibration
from workers.synth.road import Marking, Road

LANE_WIDTH_M = 3.5
CATEGORIES = ("car", "pedestrian", "cyclist")
_SIZES = {  # (length, width, height) ranges in metres
    "car": ((3.8, 5.0), (1.7, 2.0), (1.4, 1.8)),
    "pedestrian": ((0.5, 0.8), (0.5, 0.7), (1.6, 1.9)),
    "cyclist": ((1.6, 1.9), (0.5, 0.7), (1.5, 1.8)),
}


@dataclass(frozen=True)
class SceneConfig:
    """What a scene may contain; ranges are sampled per seed."""

    width: int = 320
    height: int = 180
    fps: float = 10.0
    n_frames: int = 50
    cars: tuple[int, int] = (3, 8)
    pedestrians: tuple[int, int] = (0, 3)
    cyclists: tuple[int, int] = (0, 2)
    max_curvature: float = 1.0 / 150.0
    straight_probability: float = 0.35
    vary_camera: bool = False  # sample field of view, mounting height and pitch per seed
    lighting_changes: bool = True


@dataclass(frozen=True)
class Actor:
    """A road user moving in road coordinates: s(t) = s0 + vs t, d(t) = d0 + vd t."""

    track_id: str
    category: str
    size: tuple[float, float, float]
    color: tuple[float, float, float]
    s0: float
    d0: float
    vs: float
    vd: float = 0.0

    def road_pose(self, t: float) -> tuple[float, float, float]:
        """(s, d, heading relative to the road) at time t."""
        rel = math.atan2(self.vd, self.vs) if (self.vs or self.vd) else 0.0
        return self.s0 + self.vs * t, self.d0 + self.vd * t, rel


@dataclass(frozen=True)
class Ego:
    """The ego vehicle: constant speed along the road with a gentle lateral sway."""

    speed: float
    d0: float
    sway_m: float
    sway_period_s: float

    def road_pose(self, t: float) -> tuple[float, float, float]:
        """(s, d, heading relative to the road) at time t."""
        w = 2.0 * math.pi / self.sway_period_s
        d = self.d0 + self.sway_m * math.sin(w * t)
        dd = self.sway_m * w * math.cos(w * t)
        return self.speed * t, d, math.atan2(dd, self.speed)


@dataclass(frozen=True)
class Lighting:
    """Global brightness over time: slow drift plus shadow bands (bridges, tree lines)."""

    base: float
    drift: float
    drift_period_s: float
    shadows: tuple[tuple[float, float, float], ...] = ()  # (start_s, end_s, factor)
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def brightness(self, t: float) -> float:
        """Multiplicative brightness at time t."""
        b = self.base * (1.0 + self.drift * math.sin(2.0 * math.pi * t / self.drift_period_s))
        for start, end, factor in self.shadows:
            if start <= t < end:
                b *= factor
        return b


@dataclass(frozen=True)
class Scene:
    """Everything needed to render a sequence and its ground truth."""

    seed: int
    config: SceneConfig
    road: Road
    ego: Ego
    actors: tuple[Actor, ...]
    lighting: Lighting
    calibration: Calibration
    grass: tuple[float, float, float] = field(default=(0.32, 0.45, 0.22))

    def time(self, frame: int) -> float:
        """Timestamp (seconds) of a frame index."""
        return frame / self.config.fps


def make_scene(seed: int, config: SceneConfig | None = None) -> Scene:
    """Draw a scene from `seed` (deterministic)."""
    cfg = config or SceneConfig()
    rng = np.random.default_rng(seed)
    road, lanes_right, lanes_left = _make_road(rng, cfg)
    ego_lane = int(rng.integers(0, lanes_right))
    ego_d = -(ego_lane + 0.5) * LANE_WIDTH_M
    ego = Ego(float(rng.uniform(7.0, 15.0)), ego_d, float(rng.uniform(0.0, 0.3)),
              float(rng.uniform(4.0, 10.0)))
    duration = cfg.n_frames / cfg.fps
    actors = _make_cars(rng, cfg, ego, ego_lane, lanes_right, lanes_left, duration)
    actors += _make_vulnerable(rng, cfg, road, ego, len(actors))
    return Scene(seed, cfg, road, ego, tuple(actors), _make_lighting(rng, cfg, duration),
                 _make_calibration(rng, cfg))


def _make_road(rng: np.random.Generator, cfg: SceneConfig) -> tuple[Road, int, int]:
    lanes_right = int(rng.integers(1, 3))
    lanes_left = int(rng.integers(0, 3))
    two_way = lanes_left > 0
    straight = rng.random() < cfg.straight_probability
    curvature = 0.0 if straight else float(rng.uniform(-1.0, 1.0) * cfg.max_curvature)
    yellow_centre = two_way and rng.random() < 0.7
    markings: list[Marking] = []
    for i in range(-lanes_right, lanes_left + 1):
        offset = i * LANE_WIDTH_M
        phase = float(rng.uniform(0.0, 12.0))
        if i in (-lanes_right, lanes_left):
            kind, color = "solid", "white"
        elif i == 0 and two_way:
            kind = str(rng.choice(["double_solid", "solid_dashed", "dashed_solid", "solid"]))
            color = "yellow" if yellow_centre else "white"
        else:
            kind, color = "dashed", "white"
        markings.append(Marking(offset, kind, color, phase))
    half_width = max(lanes_right, lanes_left) * LANE_WIDTH_M + 0.5
    half_width = max(half_width, LANE_WIDTH_M + 0.5)
    return Road(curvature, half_width, tuple(markings)), lanes_right, lanes_left


def _size(rng: np.random.Generator, category: str) -> tuple[float, float, float]:
    (l0, l1), (w0, w1), (h0, h1) = _SIZES[category]
    return float(rng.uniform(l0, l1)), float(rng.uniform(w0, w1)), float(rng.uniform(h0, h1))


def _color(rng: np.random.Generator) -> tuple[float, float, float]:
    c = rng.uniform(0.1, 0.95, size=3)
    return float(c[0]), float(c[1]), float(c[2])


def _make_cars(
    rng: np.random.Generator, cfg: SceneConfig, ego: Ego, ego_lane: int,
    lanes_right: int, lanes_left: int, duration: float,
) -> list[Actor]:
    """Cars in every lane; one speed per lane so that cars of a lane never collide."""
    lanes = [(i, -(i + 0.5) * LANE_WIDTH_M, 1.0) for i in range(lanes_right)]
    lanes += [(lanes_right + i, (i + 0.5) * LANE_WIDTH_M, -1.0) for i in range(lanes_left)]
    speeds = {}
    for idx, _d, direction in lanes:
        if direction < 0:
            speeds[idx] = -float(rng.uniform(7.0, 15.0))
        elif idx == ego_lane:
            speeds[idx] = ego.speed + float(rng.uniform(0.0, 2.0))  # never runs into the ego
        else:
            speeds[idx] = ego.speed + float(rng.uniform(-3.0, 3.0))
    n = int(rng.integers(cfg.cars[0], cfg.cars[1] + 1))
    taken: dict[int, list[float]] = {}
    actors: list[Actor] = []
    for _ in range(n * 4):
        if len(actors) == n:
            break
        idx, d, _direction = lanes[int(rng.integers(0, len(lanes)))]
        vs = speeds[idx]
        # Start where the car is in view for part of the sequence.
        lo = 8.0 if idx == ego_lane else -20.0
        hi = 70.0 if vs >= 0 else 70.0 + abs(vs - ego.speed) * duration * 0.6
        s0 = float(rng.uniform(lo, hi))
        if any(abs(s0 - o) < 8.0 for o in taken.get(idx, [])):
            continue
        taken.setdefault(idx, []).append(s0)
        d0 = d + float(rng.uniform(-0.3, 0.3))
        actors.append(Actor(f"t{len(actors):03d}", "car", _size(rng, "car"), _color(rng),
                            s0, d0, vs))
    return actors


def _make_vulnerable(
    rng: np.random.Generator, cfg: SceneConfig, road: Road, ego: Ego, first: int
) -> list[Actor]:
    """Pedestrians on the verges (some crossing) and cyclists at the right road edge."""
    out: list[Actor] = []
    n_ped = int(rng.integers(cfg.pedestrians[0], cfg.pedestrians[1] + 1))
    for _ in range(n_ped):
        side = 1.0 if rng.random() < 0.5 else -1.0
        s0 = float(rng.uniform(10.0, 60.0)) + ego.speed * float(rng.uniform(0.0, 3.0))
        d0 = side * (road.half_width + float(rng.uniform(0.5, 3.0)))
        crossing = rng.random() < 0.3
        vs = 0.0 if crossing else float(rng.uniform(-1.5, 1.5))
        vd = -side * float(rng.uniform(0.8, 1.6)) if crossing else 0.0
        out.append(Actor(f"t{first + len(out):03d}", "pedestrian", _size(rng, "pedestrian"),
                         _color(rng), s0, d0, vs, vd))
    n_cyc = int(rng.integers(cfg.cyclists[0], cfg.cyclists[1] + 1))
    for _ in range(n_cyc):
        s0 = float(rng.uniform(10.0, 60.0)) + ego.speed * float(rng.uniform(0.0, 3.0))
        d0 = -road.half_width + float(rng.uniform(0.5, 1.0))
        out.append(Actor(f"t{first + len(out):03d}", "cyclist", _size(rng, "cyclist"),
                         _color(rng), s0, d0, float(rng.uniform(3.0, 6.0))))
    return out


def _make_lighting(rng: np.random.Generator, cfg: SceneConfig, duration: float) -> Lighting:
    base = float(rng.uniform(0.75, 1.15))
    if not cfg.lighting_changes:
        return Lighting(base, 0.0, 1.0)
    shadows = []
    for _ in range(int(rng.integers(0, 3))):
        start = float(rng.uniform(0.0, duration))
        shadows.append((start, start + float(rng.uniform(0.3, 1.5)),
                        float(rng.uniform(0.45, 0.8))))
    tint = tuple(float(x) for x in rng.uniform(0.9, 1.1, size=3))
    return Lighting(base, float(rng.uniform(0.0, 0.25)), float(rng.uniform(3.0, 12.0)),
                    tuple(shadows), (tint[0], tint[1], tint[2]))


def _make_calibration(rng: np.random.Generator, cfg: SceneConfig) -> Calibration:
    if not cfg.vary_camera:
        return mounted_calibration(cfg.width, cfg.height, 60.0, 1.5, 0.0)
    return mounted_calibration(cfg.width, cfg.height, float(rng.uniform(50.0, 70.0)),
                               float(rng.uniform(1.3, 1.8)), float(rng.uniform(-2.0, 4.0)))
