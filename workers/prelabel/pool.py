"""A pool of pre-label actors on Ray; `submit*` return ObjectRefs (await them in asyncio).

Frames travel as JPEG bytes or as an ObjectRef to a list of JPEG bytes (Ray resolves it on the
actor), never as decoded arrays. Without a GPU the actors ask for CPUs only and ORT picks the
CPU provider: the same code path.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from roadlabel.labels import Calibration
from workers.prelabel.actor import PrelabelActor
from workers.prelabel.contract import ModelConfig
from workers.tracking import TrackerConfig


class PrelabelPool:
    """N actors, each with one ORT session; calls are spread round-robin."""

    def __init__(self, cfg: ModelConfig, n_actors: int = 1, num_cpus: float = 1.0,
                 num_gpus: float = 0.0, max_restarts: int = 2, max_task_retries: int = 2) -> None:
        import ray

        remote_cls = ray.remote(PrelabelActor).options(
            num_cpus=num_cpus, num_gpus=num_gpus, max_restarts=max_restarts,
            max_task_retries=max_task_retries)
        self.actors: list[Any] = [remote_cls.remote(cfg) for _ in range(n_actors)]
        self._next = itertools.cycle(range(n_actors))

    def _actor(self) -> Any:
        return self.actors[next(self._next)]

    def info_refs(self) -> list[Any]:
        """ObjectRefs to each actor's providers and model version."""
        return [a.info.remote() for a in self.actors]

    def submit(self, jpeg_frames: Sequence[bytes] | Any, calibration: Calibration,
               frame_indices: Sequence[int], timestamps: Sequence[float]) -> Any:
        """ObjectRef to list[FrameLabels] for a batch of JPEG frames (or a ref to them)."""
        return self._actor().predict.remote(jpeg_frames, calibration, list(frame_indices),
                                            list(timestamps))

    def submit_segment(self, sequence_id: str, first_frame: int,
                       jpeg_frames: Sequence[bytes] | Any, calibration: Calibration,
                       timestamps: Sequence[float], tracker: TrackerConfig | None = None) -> Any:
        """ObjectRef to the tracked LabelDocument of one segment."""
        return self._actor().prelabel_segment.remote(sequence_id, first_frame, jpeg_frames,
                                                     calibration, list(timestamps), tracker)

    def shutdown(self) -> None:
        """Stop the actors."""
        import ray

        for actor in self.actors:
            ray.kill(actor)
        self.actors = []
