"""Synthetic driving scenes with exact ground truth, deterministic by seed.

Serves model training, QA benchmarks and load tests::

    seq = generate_sequence(seed=7, n_frames=50)
    seq.frames[0]          # (180, 320, 3) uint8 RGB
    seq.document           # LabelDocument: boxes with track ids, lanes (3D + 2D)
    seq.calibration        # roadlabel.labels.Calibration
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from roadlabel.labels import Calibration, FrameLabels, LabelDocument
from workers.synth.groundtruth import frame_labels
from workers.synth.render import Renderer
from workers.synth.scene import CATEGORIES, Scene, SceneConfig, make_scene
from workers.synth.video import write_mp4

GROUND_TRUTH_VERSION = "synth-ground-truth"

__all__ = [
    "CATEGORIES",
    "Scene",
    "SceneConfig",
    "SyntheticSequence",
    "generate_sequence",
    "iter_frames",
    "make_scene",
    "write_mp4",
]


@dataclass(frozen=True)
class SyntheticSequence:
    """Rendered frames of one scene and their exact labels."""

    scene: Scene
    frames: list[np.ndarray]
    document: LabelDocument

    @property
    def calibration(self) -> Calibration:
        """Camera calibration of every frame."""
        return self.scene.calibration


def iter_frames(scene: Scene, indices: Iterable[int] | None = None
                ) -> Iterator[tuple[np.ndarray, FrameLabels]]:
    """Yield (image, ground truth) for each frame of a scene (or only the given indices)."""
    renderer = Renderer(scene)
    for i in range(scene.config.n_frames) if indices is None else indices:
        rendered = renderer.render(i)
        yield rendered.image, frame_labels(scene, i, rendered)


def generate_sequence(seed: int, n_frames: int | None = None,
                      config: SceneConfig | None = None) -> SyntheticSequence:
    """Render a whole sequence for `seed` with its ground-truth LabelDocument."""
    cfg = config or SceneConfig()
    if n_frames is not None:
        cfg = replace(cfg, n_frames=n_frames)
    scene = make_scene(seed, cfg)
    frames, labels = [], []
    for image, lab in iter_frames(scene):
        frames.append(image)
        labels.append(lab)
    doc = LabelDocument(f"synth-{seed}", 0, tuple(labels), model_version=GROUND_TRUTH_VERSION)
    return SyntheticSequence(scene, frames, doc)
