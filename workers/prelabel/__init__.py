"""Pre-labelling: an ONNX model behind a documented contract, run locally or on Ray.

Public surface::

    prelabel_frames(jpeg_frames, calibration, model_cfg) -> list[FrameLabels]   # local
    prelabel_segment(sequence_id, first_frame, jpeg_frames, calibration, model_cfg)
        -> LabelDocument                                                         # local, tracked
    PrelabelPool(model_cfg, n_actors).submit(...) / .submit_segment(...) -> ObjectRef
    ModelConfig(path, sha256, providers=...), baseline_config()
    driver.prelabel_sequences(...)   # ingested sequences -> their tasks (roadlabel prelabel)

See CONTRACT.md for what a model receives and returns.
"""

from __future__ import annotations

from workers.prelabel.contract import ModelConfig, ModelSpec, baseline_config
from workers.prelabel.pool import PrelabelPool
from workers.prelabel.predictor import Predictor, prelabel_frames
from workers.prelabel.segment import prelabel_segment

__all__ = ["ModelConfig", "ModelSpec", "Predictor", "PrelabelPool", "baseline_config",
           "prelabel_frames", "prelabel_segment"]
