"""Regenerates wrong_io.onnx (needs the `onnx` package, e.g. the training venv).

A model that has every contract name but a 1-channel `image` input: contract validation must
refuse it. Run: /tmp/train-venv/bin/python tests/unit/prelabel/data/make_wrong_io.py
"""

from __future__ import annotations

from pathlib import Path

import onnx
from onnx import TensorProto, helper

OUT = Path(__file__).with_name("wrong_io.onnx")


def main() -> None:
    """Write the fixture."""
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, 96, 160])
    intr = helper.make_tensor_value_info("intrinsics", TensorProto.FLOAT, ["N", 4])
    names = ["heatmap", "box_reg", "lane_exist", "lane_type", "lane_color", "lane_u", "lane_vis"]
    nodes = [helper.make_node("Identity", ["intrinsics"], [n]) for n in names]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 4]) for n in names]
    nodes.append(helper.make_node("Identity", ["image"], ["image_copy"]))
    outs.append(helper.make_tensor_value_info("image_copy", TensorProto.FLOAT, ["N", 1, 96, 160]))
    graph = helper.make_graph(nodes, "wrong_io", [image, intr], outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in {"roadlabel.contract": "1", "roadlabel.classes": "car",
                 "roadlabel.lane_rows": "0.6,0.8"}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    onnx.checker.check_model(model)
    onnx.save(model, OUT)


if __name__ == "__main__":
    main()
