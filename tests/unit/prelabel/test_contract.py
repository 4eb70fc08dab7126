"""Model contract: a model is accepted only with the configured sha256 and the documented I/O."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from roadlabel.errors import ConfigError
from workers.prelabel.contract import ModelConfig, load_model, spec_from_session
from workers.prelabel.predictor import Predictor

WRONG_IO = Path(__file__).parent / "data" / "wrong_io.onnx"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_wrong_sha256_is_refused_before_loading() -> None:
    cfg = ModelConfig(str(WRONG_IO), "0" * 64)
    with pytest.raises(ConfigError, match="sha256"):
        load_model(cfg)


def test_missing_model_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_model(ModelConfig(str(tmp_path / "nope.onnx"), "0" * 64))


def test_real_onnx_with_wrong_input_shape_is_refused() -> None:
    cfg = ModelConfig(str(WRONG_IO), _sha(WRONG_IO), providers=("CPUExecutionProvider",))
    with pytest.raises(ConfigError, match="image has 1 channels"):
        Predictor(cfg)


@dataclass
class _Node:
    name: str
    shape: list[Any]
    type: str = "tensor(float)"


@dataclass
class _Meta:
    custom_metadata_map: dict[str, str]


@dataclass
class _FakeSession:
    """Just the introspection surface of an ORT session that validation reads."""

    inputs: list[_Node]
    outputs: list[_Node]
    meta: dict[str, str] = field(default_factory=lambda: {
        "roadlabel.contract": "1", "roadlabel.classes": "car,pedestrian,cyclist",
        "roadlabel.lane_rows": "0.6,0.7,0.8", "roadlabel.model_name": "fake"})

    def get_inputs(self) -> list[_Node]:
        return self.inputs

    def get_outputs(self) -> list[_Node]:
        return self.outputs

    def get_modelmeta(self) -> _Meta:
        return _Meta(self.meta)


def _good() -> _FakeSession:
    return _FakeSession(
        [_Node("image", ["N", 3, 96, 160]), _Node("intrinsics", ["N", 4])],
        [_Node("heatmap", ["N", 3, 12, 20]), _Node("box_reg", ["N", 8, 12, 20]),
         _Node("lane_exist", ["N", 4]), _Node("lane_type", ["N", 4, 6]),
         _Node("lane_color", ["N", 4, 3]), _Node("lane_u", ["N", 4, 3]),
         _Node("lane_vis", ["N", 4, 3])])


def test_a_conforming_model_yields_its_spec() -> None:
    spec = spec_from_session(_good(), "ab" * 32)
    assert (spec.input_height, spec.input_width, spec.grid_height, spec.grid_width) == (
        96, 160, 12, 20)
    assert spec.classes == ("car", "pedestrian", "cyclist")
    assert spec.n_lanes == 4 and spec.lane_rows == (0.6, 0.7, 0.8)
    assert spec.stride == (8.0, 8.0)
    assert spec.model_version == "fake@sha256:" + "ab" * 8


@pytest.mark.parametrize(("output", "shape", "message"), [
    ("heatmap", ["N", 2, 12, 20], "heatmap has 2 classes"),
    ("box_reg", ["N", 7, 12, 20], "box_reg must be"),
    ("box_reg", ["N", 8, 6, 10], "box_reg must be"),
    ("lane_u", ["N", 4, 5], "lane_u must be"),
    ("lane_type", ["N", 4, 5], "lane_type must be"),
    ("lane_exist", ["N", 4, 1], "lane_exist has rank 3"),
])
def test_wrong_output_shapes_are_refused(output: str, shape: list[Any], message: str) -> None:
    session = _good()
    session.outputs = [_Node(o.name, shape if o.name == output else o.shape)
                       for o in session.outputs]
    with pytest.raises(ConfigError, match=message):
        spec_from_session(session, "0" * 64)


def test_missing_output_and_wrong_dtype_are_refused() -> None:
    session = _good()
    session.outputs = session.outputs[:-1]
    with pytest.raises(ConfigError, match="outputs"):
        spec_from_session(session, "0" * 64)
    session = _good()
    session.inputs[0] = _Node("image", ["N", 3, 96, 160], "tensor(uint8)")
    with pytest.raises(ConfigError, match="image has type"):
        spec_from_session(session, "0" * 64)
    session = _good()
    session.meta = {}
    with pytest.raises(ConfigError, match=r"roadlabel\.contract"):
        spec_from_session(session, "0" * 64)
