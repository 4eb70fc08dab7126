"""The pre-label model contract: what an ONNX model receives and returns (see CONTRACT.md).

Inputs
    ``image``       float32 [N, 3, H, W]  RGB, values pixel / 255 in [0, 1], resized to (H, W)
    ``intrinsics``  float32 [N, 4]        fx, fy, cx, cy of the camera at the input size (pixels)
Outputs (Hg, Wg: the output grid; the stride is W / Wg and H / Hg)
    ``heatmap``     float32 [N, C, Hg, Wg] object-centre probability per class
    ``box_reg``     float32 [N, 8, Hg, Wg] du, dv, log depth, log l, log w, log h, sin a, cos a
    ``lane_exist``  float32 [N, L]         lane slot probability
    ``lane_type``   float32 [N, L, 6]      probabilities over roadlabel.labels.LANE_TYPES
    ``lane_color``  float32 [N, L, 3]      probabilities over roadlabel.labels.LANE_COLORS
    ``lane_u``      float32 [N, L, R]      lane column / W at each row anchor
    ``lane_vis``    float32 [N, L, R]      probability the lane is visible at that row anchor
Metadata (ONNX metadata_props)
    ``roadlabel.contract`` = "1", ``roadlabel.classes`` = "car,pedestrian,cyclist",
    ``roadlabel.lane_rows`` = comma-separated row anchors as fractions of H,
    ``roadlabel.model_name`` = a name; the recorded model version is name + sha256 prefix.

A model plugs in by configuration (`ModelConfig`: path + sha256); `load_model` refuses a file
whose digest differs and `spec_from_session` refuses a graph whose I/O does not match.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roadlabel.errors import ConfigError
from roadlabel.labels import LANE_COLORS, LANE_TYPES

CONTRACT_VERSION = "1"
INPUTS = ("image", "intrinsics")
OUTPUTS = ("heatmap", "box_reg", "lane_exist", "lane_type", "lane_color", "lane_u", "lane_vis")
BOX_REG_CHANNELS = 8
DEFAULT_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")
GPU_PROVIDERS = ("CUDAExecutionProvider", "TensorrtExecutionProvider")  # run on a GPU
BASELINE_PATH = Path(__file__).parent / "models" / "baseline.onnx"


@dataclass(frozen=True)
class ModelConfig:
    """Which model to run and how: a path plus the sha256 it must have."""

    path: str
    sha256: str
    providers: tuple[str, ...] = DEFAULT_PROVIDERS
    batch_size: int = 8
    # Chosen on validation seeds 50000.. with the baseline and the tracker's defaults: from 0.3
    # to 0.5 deletions fell 31 % while boxes drawn from scratch rose 4 % (effort 5.47 -> 5.52,
    # MOTA 0.54 -> 0.60): the baseline's false peaks score low, its true ones high.
    score_threshold: float = 0.5
    lane_threshold: float = 0.5
    max_boxes: int = 64
    intra_op_threads: int = 1
    # Bind inputs and outputs to the session's device (I/O binding); None: on GPU only.
    io_binding: bool | None = None


@dataclass(frozen=True)
class ModelSpec:
    """What a validated model declares: sizes, classes, lane layout, version."""

    input_height: int
    input_width: int
    grid_height: int
    grid_width: int
    classes: tuple[str, ...]
    n_lanes: int
    lane_rows: tuple[float, ...]
    model_version: str

    @property
    def stride(self) -> tuple[float, float]:
        """Input pixels per output cell (x, y)."""
        return self.input_width / self.grid_width, self.input_height / self.grid_height


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_model(cfg: ModelConfig) -> bytes:
    """Read the model file and verify its sha256; raises ConfigError on mismatch."""
    path = Path(cfg.path)
    if not path.is_file():
        raise ConfigError(f"pre-label model {path} does not exist", "set the model path")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != cfg.sha256.lower():
        raise ConfigError(
            f"pre-label model {path} has sha256 {digest}, expected {cfg.sha256}",
            "use the model file the configuration names, or update the configured sha256",
        )
    return data


def baseline_config(**overrides: Any) -> ModelConfig:
    """ModelConfig for the committed baseline model (its digest read from the model card)."""
    card = BASELINE_PATH.parent / "MODEL_CARD.md"
    sha = ""
    for line in card.read_text().splitlines():
        if line.startswith("sha256:"):
            sha = line.split(":", 1)[1].strip().strip("`")
    return ModelConfig(str(BASELINE_PATH), sha, **overrides)


def spec_from_session(session: Any, sha256: str) -> ModelSpec:
    """Validate an onnxruntime session against the contract and return its spec."""
    inputs = {i.name: i for i in session.get_inputs()}
    outputs = {o.name: o for o in session.get_outputs()}
    _require(sorted(inputs) == sorted(INPUTS), f"inputs {sorted(inputs)}, expected {INPUTS}")
    _require(set(OUTPUTS) <= set(outputs), f"outputs {sorted(outputs)}, expected {OUTPUTS}")
    for name in (*INPUTS, *OUTPUTS):
        node = inputs.get(name) or outputs[name]
        _require(node.type == "tensor(float)", f"{name} has type {node.type}, expected float")
    image = _dims(inputs["image"].shape, 4, "image")
    _require(image[1] == 3, f"image has {image[1]} channels, expected 3 (RGB)")
    intrinsics = _dims(inputs["intrinsics"].shape, 2, "intrinsics")
    _require(intrinsics[1] == 4, "intrinsics must be [N, 4]")
    meta = session.get_modelmeta().custom_metadata_map
    classes = tuple(c for c in meta.get("roadlabel.classes", "").split(",") if c)
    rows = tuple(float(r) for r in meta.get("roadlabel.lane_rows", "").split(",") if r)
    _require(meta.get("roadlabel.contract") == CONTRACT_VERSION, "metadata roadlabel.contract != 1")
    _require(bool(classes) and bool(rows), "metadata lacks roadlabel.classes or lane_rows")
    heat = _dims(outputs["heatmap"].shape, 4, "heatmap")
    _require(heat[1] == len(classes), f"heatmap has {heat[1]} classes, metadata {len(classes)}")
    _require(_dims(outputs["box_reg"].shape, 4, "box_reg")[1:] == [BOX_REG_CHANNELS, *heat[2:]],
             "box_reg must be [N, 8, Hg, Wg] like heatmap")
    n_lanes = _dims(outputs["lane_exist"].shape, 2, "lane_exist")[1]
    for name, last in (("lane_type", len(LANE_TYPES)), ("lane_color", len(LANE_COLORS)),
                       ("lane_u", len(rows)), ("lane_vis", len(rows))):
        _require(_dims(outputs[name].shape, 3, name)[1:] == [n_lanes, last],
                 f"{name} must be [N, {n_lanes}, {last}]")
    name = meta.get("roadlabel.model_name") or "unnamed-model"
    return ModelSpec(image[2], image[3], heat[2], heat[3], classes, n_lanes, rows,
                     f"{name}@sha256:{sha256[:16]}")


def _dims(shape: list[Any], rank: int, name: str) -> list[Any]:
    _require(len(shape) == rank, f"{name} has rank {len(shape)}, expected {rank}")
    _require(all(isinstance(d, int) for d in shape[1:]), f"{name} needs fixed non-batch dims")
    return list(shape)


def _require(ok: bool, what: str) -> None:
    if not ok:
        raise ConfigError(f"pre-label model breaks the contract: {what}",
                          "export the model as workers/prelabel/CONTRACT.md describes")
