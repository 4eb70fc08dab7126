"""Poses over time: ego and actors in the world and in the ego frame."""

from __future__ import annotations

import math

import numpy as np

from roadlabel.labels import wrap_yaw
from workers.synth.scene import Actor, Scene


def ego_world_pose(scene: Scene, t: float) -> tuple[float, float, float]:
    """(x, y, yaw) of the ego in the world frame at time t."""
    s, d, rel = scene.ego.road_pose(t)
    x, y = scene.road.to_world(s, d)
    return float(x), float(y), float(scene.road.heading(s)) + rel


def actor_world_pose(scene: Scene, actor: Actor, t: float) -> tuple[float, float, float]:
    """(x, y, yaw) of an actor's box centre (ground projection) in the world frame."""
    s, d, rel = actor.road_pose(t)
    x, y = scene.road.to_world(s, d)
    return float(x), float(y), float(scene.road.heading(s)) + rel


def world_to_ego(pose: tuple[float, float, float], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """World (x, y) arrays to (N, 2) ego-frame coordinates for an ego at `pose`."""
    ex, ey, yaw = pose
    c, s = math.cos(yaw), math.sin(yaw)
    dx, dy = np.asarray(x) - ex, np.asarray(y) - ey
    return np.stack([c * dx + s * dy, -s * dx + c * dy], axis=-1)


def ego_to_world(
    pose: tuple[float, float, float], pts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ego-frame (..., 2) coordinates to world (x, y) arrays."""
    ex, ey, yaw = pose
    c, s = math.cos(yaw), math.sin(yaw)
    return ex + c * pts[..., 0] - s * pts[..., 1], ey + s * pts[..., 0] + c * pts[..., 1]


def actor_in_ego(scene: Scene, actor: Actor, t: float) -> tuple[float, float, float, float]:
    """(x, y, z, yaw) of an actor's box centre in the ego frame at time t."""
    ego = ego_world_pose(scene, t)
    ax, ay, ayaw = actor_world_pose(scene, actor, t)
    xy = world_to_ego(ego, np.array([ax]), np.array([ay]))[0]
    return float(xy[0]), float(xy[1]), actor.size[2] / 2.0, wrap_yaw(ayaw - ego[2])


def box_corners(x: float, y: float, z: float, size: tuple[float, float, float],
                yaw: float) -> np.ndarray:
    """The 8 corners (8, 3) of a box; index bit 0: +x/-x, bit 1: +y/-y, bit 2: +z/-z."""
    length, width, height = size
    signs = np.array([[1 - 2 * (i & 1), 1 - 2 * ((i >> 1) & 1), 1 - 2 * ((i >> 2) & 1)]
                      for i in range(8)], dtype=np.float64)
    local = signs * np.array([length / 2.0, width / 2.0, height / 2.0])
    c, s = math.cos(yaw), math.sin(yaw)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    out: np.ndarray = local @ rot.T + np.array([x, y, z])
    return out
