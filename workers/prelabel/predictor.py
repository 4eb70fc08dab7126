"""One ONNX Runtime session behind the model contract: frames in, ego-frame labels out.

The session is created once per Predictor (an actor holds one). Providers are tried in the
configured order (CUDA, optionally TensorRT, then CPU) and filtered to those this onnxruntime
build has, so the same code runs with or without a GPU. On CUDA, inputs and outputs go through
I/O binding so batches are copied to the device once.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from roadlabel.errors import ConfigError
from roadlabel.labels import Calibration, FrameLabels
from workers.prelabel.camera import scale_calibration
from workers.prelabel.contract import (
    GPU_PROVIDERS,
    OUTPUTS,
    ModelConfig,
    ModelSpec,
    load_model,
    spec_from_session,
)
from workers.prelabel.decode import decode_boxes, decode_lanes, intrinsics_vector
from workers.prelabel.preprocess import decode_jpeg, to_input


def _session(ort: Any, data: bytes, opts: Any, cfg: ModelConfig) -> Any:
    """The ORT session; a file ORT cannot load is a configuration error, said in one line."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    try:
        return ort.InferenceSession(data, sess_options=opts,
                                    providers=choose_providers(cfg.providers))
    except (state.InvalidProtobuf, state.InvalidGraph, state.Fail) as exc:
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ConfigError(f"pre-label model {cfg.path} cannot be loaded by ONNX Runtime ({first})",
                          "use an ONNX model that meets workers/prelabel/CONTRACT.md") from None


class Predictor:
    """A validated model in one ORT session."""

    def __init__(self, cfg: ModelConfig) -> None:
        import onnxruntime as ort  # runtime import: the gpu extra swaps this package

        data = load_model(cfg)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = cfg.intra_op_threads
        opts.inter_op_num_threads = 1
        self.cfg = cfg
        self.session = _session(ort, data, opts, cfg)
        self.spec: ModelSpec = spec_from_session(self.session, cfg.sha256)
        self.providers: list[str] = list(self.session.get_providers())
        on_gpu = self.providers[0] in GPU_PROVIDERS
        bind = on_gpu if cfg.io_binding is None else cfg.io_binding
        self._device: str | None = ("cuda" if on_gpu else "cpu") if bind else None

    @property
    def model_version(self) -> str:
        """Name and sha256 prefix of the loaded model, recorded with every pre-label."""
        return self.spec.model_version

    def run(self, image: np.ndarray, intrinsics: np.ndarray) -> dict[str, np.ndarray]:
        """Run one batch of contract inputs; returns the contract outputs."""
        if self._device is None:
            outs = self.session.run(list(OUTPUTS), {"image": image, "intrinsics": intrinsics})
            return dict(zip(OUTPUTS, outs, strict=True))
        return self._run_bound(image, intrinsics, self._device)

    def _run_bound(self, image: np.ndarray, intrinsics: np.ndarray,
                   device: str) -> dict[str, np.ndarray]:
        """Inputs copied to the device once, outputs left there by ORT, then copied back."""
        import onnxruntime as ort

        binding = self.session.io_binding()
        binding.bind_ortvalue_input("image", ort.OrtValue.ortvalue_from_numpy(image, device, 0))
        binding.bind_ortvalue_input(
            "intrinsics", ort.OrtValue.ortvalue_from_numpy(intrinsics, device, 0))
        for name in OUTPUTS:
            binding.bind_output(name, device, 0)
        self.session.run_with_iobinding(binding)
        return dict(zip(OUTPUTS, binding.copy_outputs_to_cpu(), strict=True))

    def predict_images(self, images: Sequence[np.ndarray], calibration: Calibration,
                       frame_indices: Sequence[int], timestamps: Sequence[float]
                       ) -> list[FrameLabels]:
        """Pre-label RGB frames (all of one camera) in batches of cfg.batch_size."""
        spec = self.spec
        cal_in = scale_calibration(calibration, spec.input_width, spec.input_height)
        out: list[FrameLabels] = []
        for start in range(0, len(images), self.cfg.batch_size):
            chunk = images[start:start + self.cfg.batch_size]
            batch = to_input(list(chunk), spec.input_height, spec.input_width)
            intr = np.repeat(intrinsics_vector(cal_in)[None], len(chunk), axis=0)
            outputs = self.run(batch, intr)
            for i in range(len(chunk)):
                frame = {k: v[i] for k, v in outputs.items()}
                out.append(self._frame_labels(frame, cal_in, calibration,
                                              frame_indices[start + i], timestamps[start + i]))
        return out

    def predict_jpeg(self, jpeg_frames: Sequence[bytes], calibration: Calibration,
                     frame_indices: Sequence[int], timestamps: Sequence[float]
                     ) -> list[FrameLabels]:
        """Pre-label JPEG-encoded frames."""
        images = [decode_jpeg(b) for b in jpeg_frames]
        return self.predict_images(images, calibration, frame_indices, timestamps)

    def _frame_labels(self, outputs: dict[str, np.ndarray], cal_in: Calibration,
                      cal: Calibration, index: int, timestamp: float) -> FrameLabels:
        boxes = decode_boxes(outputs["heatmap"], outputs["box_reg"], self.spec, cal_in,
                             self.cfg.score_threshold, self.cfg.max_boxes)
        lanes = decode_lanes(outputs, self.spec, cal_in, cal, self.cfg.lane_threshold)
        return FrameLabels(int(index), float(timestamp), tuple(boxes), tuple(lanes))


def choose_providers(wanted: Sequence[str]) -> list[str]:
    """The wanted providers this onnxruntime build offers, in order; CPU always last."""
    import onnxruntime as ort

    available = set(ort.get_available_providers())
    chosen = [p for p in wanted if p in available and p != "CPUExecutionProvider"]
    return [*chosen, "CPUExecutionProvider"]


@functools.lru_cache(maxsize=4)
def cached_predictor(cfg: ModelConfig) -> Predictor:
    """A per-process Predictor per configuration, so local calls build the session once."""
    return Predictor(cfg)


def prelabel_frames(jpeg_frames: Sequence[bytes], calibration: Calibration,
                    model_cfg: ModelConfig, frame_indices: Sequence[int] | None = None,
                    timestamps: Sequence[float] | None = None) -> list[FrameLabels]:
    """Pre-label JPEG frames locally (no Ray): boxes and lanes per frame, not yet tracked.

    Frame indices default to 0..n-1; timestamps default to unknown (0.0) and only matter to
    the tracker's motion model.
    """
    indices = list(frame_indices) if frame_indices is not None else list(range(len(jpeg_frames)))
    times = list(timestamps) if timestamps is not None else [0.0] * len(jpeg_frames)
    return cached_predictor(model_cfg).predict_jpeg(jpeg_frames, calibration, indices, times)

