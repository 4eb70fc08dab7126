"""Store an exported model's large float32 weights as float16 to halve the committed file.

Each compacted weight gets a Cast back to float32 in front of its consumers. ONNX Runtime folds
those Casts into constants when it creates the session, so inference runs in float32 exactly as
before, at the same speed; only the weights' values are rounded to float16 (relative error
below 1e-3). Needs the `onnx` package (the `train` extra).

    python -m workers.prelabel.compact IN.onnx OUT.onnx
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

#: Weights with fewer elements stay float32: biases and small kernels save nothing worth it.
MIN_ELEMENTS = 4096
_HALF_MAX = 65504.0


def compact(model: Any, min_elements: int = MIN_ELEMENTS) -> list[str]:
    """Rewrite large float32 initializers of `model` (an onnx.ModelProto) in place as float16
    plus a Cast; returns the names rewritten."""
    from onnx import TensorProto, helper, numpy_helper

    graph = model.graph
    done: list[str] = []
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        value = numpy_helper.to_array(init)
        if value.size < min_elements or np.abs(value).max() >= _HALF_MAX:
            continue
        half_name = f"{init.name}__fp16"
        init.CopyFrom(numpy_helper.from_array(value.astype(np.float16), half_name))
        casts.append(helper.make_node("Cast", [half_name], [compacted_name(half_name)],
                                      to=TensorProto.FLOAT, name=f"cast_{half_name}"))
        done.append(compacted_name(half_name))
    # Casts first: a graph's nodes must be in topological order.
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    return done


def compacted_name(name: str) -> str:
    """The float32 name a (possibly compacted) initializer stands for."""
    return name.removesuffix("__fp16")


def main(argv: list[str] | None = None) -> int:
    """Command line: compact IN into OUT and print a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    try:
        import onnx
    except ImportError:
        print("error: the onnx package is missing; install the train extra: "
              "pip install -e '.[train]'", file=sys.stderr)
        return 2
    if not args.source.is_file():
        print(f"error: {args.source} is not a file; give an exported .onnx model", file=sys.stderr)
        return 2
    model = onnx.load(str(args.source))
    names = compact(model)
    onnx.checker.check_model(model)
    onnx.save(model, str(args.target))
    sha = hashlib.sha256(args.target.read_bytes()).hexdigest()
    print(json.dumps({"compacted": len(names), "bytes_before": args.source.stat().st_size,
                      "bytes_after": args.target.stat().st_size, "sha256": sha}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
