"""Train the baseline pre-label model on synthetic scenes and export it to ONNX.

Run with the training environment (PyTorch is a training-only dependency)::

    /tmp/train-venv/bin/python -m workers.prelabel.train --out build/prelabel/baseline.onnx

The defaults train the committed model's architecture from scratch within a time budget; the
model card gives the longer commands that made the committed weights. The network is a small
CenterNet-style monocular detector: a stride-8 convolutional trunk with row/column coordinate
channels (depth on a flat road is mostly a function of image row), a per-cell class heatmap
plus box regression on a stride-4 grid, and a row-anchor lane head. Training seeds start at
TRAIN_SEED0; benchmarks use seeds below it, so they are never trained on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from roadlabel.labels import LANE_COLORS, LANE_TYPES
from workers.prelabel.camera import scale_calibration
from workers.prelabel.compact import compact, compacted_name
from workers.prelabel.contract import CONTRACT_VERSION, ModelSpec
from workers.prelabel.decode import intrinsics_vector
from workers.prelabel.preprocess import to_input
from workers.prelabel.targets import encode_frame
from workers.synth import SceneConfig, iter_frames, make_scene

TRAIN_SEED0 = 100_000
LANE_OUT = ("lane_fc.3.weight", "lane_fc.3.bias")  # the layer whose rows are lane slots
STRIDE = 8  # of the trunk and neck, and of the lane head's input
BOX_STRIDES = (8, 4)  # 4: boxes from the neck upsampled and joined with stride-4 trunk features
LANE_ROWS = tuple(float(r) for r in np.linspace(0.54, 0.98, 12).round(4))
# Per lane slot: existence, type and colour scores, then a column and a visibility per row.
LANE_FIELDS = 1 + len(LANE_TYPES) + len(LANE_COLORS) + 2 * len(LANE_ROWS)


def make_spec(height: int, width: int, n_lanes: int = 6, box_stride: int = STRIDE
              ) -> ModelSpec:
    """The spec of a network for (height, width) input: box grid, 3 classes, n lanes."""
    if height % STRIDE or width % STRIDE:
        raise ValueError(f"input {height}x{width} must be a multiple of {STRIDE}")
    if n_lanes < 2 or n_lanes % 2:
        raise ValueError(f"{n_lanes} lane slots: give an even number (half left, half right)")
    if box_stride not in BOX_STRIDES:
        raise ValueError(f"box stride {box_stride}: give one of {BOX_STRIDES}")
    return ModelSpec(height, width, height // box_stride, width // box_stride,
                     ("car", "pedestrian", "cyclist"), n_lanes, LANE_ROWS, "")


def fx_ref(spec: ModelSpec) -> float:
    """Input-size focal length of the training camera (60 degree horizontal field of view)."""
    return spec.input_width / 2.0 / math.tan(math.radians(30.0))


TARGET_KEYS = ("heatmap", "box_reg", "box_mask", "lane_exist", "lane_type", "lane_color",
               "lane_u", "lane_vis")


def build_dataset(spec: ModelSpec, n_sequences: int, frames_per_seq: int, step: int,
                  seed0: int = TRAIN_SEED0) -> dict[str, np.ndarray]:
    """Render sequences and encode their targets (all numpy; no torch).

    Images are kept as uint8 (a quarter of the memory of float32); training scales them.
    """
    cfg = SceneConfig(n_frames=frames_per_seq)
    images, intr, targets = [], [], {k: [] for k in TARGET_KEYS}  # type: ignore[var-annotated]
    for i in range(n_sequences):
        scene = make_scene(seed0 + i, cfg)
        cal_in = scale_calibration(scene.calibration, spec.input_width, spec.input_height)
        for image, labels in iter_frames(scene, range(0, frames_per_seq, step)):
            scaled = to_input([image], spec.input_height, spec.input_width)[0]
            images.append(np.round(scaled * 255.0).astype(np.uint8))
            intr.append(intrinsics_vector(cal_in))
            for k, v in encode_frame(labels, spec, scene.calibration).items():
                targets[k].append(v)
    data = {"image": np.stack(images), "intrinsics": np.stack(intr)}
    data.update({k: np.stack(v) for k, v in targets.items()})
    return data


def build_net(spec: ModelSpec) -> Any:
    """The torch module (torch imported here: training-only dependency)."""
    import torch
    from torch import nn

    def block(cin: int, cout: int, stride: int) -> nn.Module:
        return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                             nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    n_l, n_r = spec.n_lanes, len(spec.lane_rows)
    fx = fx_ref(spec)

    class Net(nn.Module):  # type: ignore[misc]  # torch is untyped here
        def __init__(self) -> None:
            super().__init__()
            self.trunk = nn.Sequential(block(3, 24, 2), block(24, 32, 2), block(32, 32, 1),
                                       block(32, 64, 2), block(64, 64, 1))
            self.neck = nn.Sequential(block(66, 96, 1), block(96, 96, 1),
                                      nn.Sequential(nn.Conv2d(96, 96, 3, 1, 2, dilation=2,
                                                              bias=False),
                                                    nn.BatchNorm2d(96), nn.ReLU(inplace=True)))
            self.heat = nn.Sequential(nn.Conv2d(96, 64, 3, 1, 1), nn.ReLU(inplace=True),
                                      nn.Conv2d(64, len(spec.classes), 1))
            self.reg = nn.Sequential(nn.Conv2d(96, 64, 3, 1, 1), nn.ReLU(inplace=True),
                                     nn.Conv2d(64, 8, 1))
            self.lane_reduce = nn.Sequential(nn.Conv2d(96, 16, 1), nn.ReLU(inplace=True))
            fine = spec.stride[0] < STRIDE  # box stride 4
            # Zero at first: a stride-4 network starts as the stride-8 one, upsampled.
            self.lateral = nn.Conv2d(32, 96, 1) if fine else None
            if self.lateral is not None:
                nn.init.zeros_(self.lateral.weight)
                nn.init.zeros_(self.lateral.bias)
            grid = (spec.input_height // STRIDE) * (spec.input_width // STRIDE)
            self.lane_fc = nn.Sequential(nn.Flatten(), nn.Linear(16 * grid, 256),
                                         nn.ReLU(inplace=True),
                                         nn.Linear(256, n_l * LANE_FIELDS))
            self.heat[-1].bias.data.fill_(-2.2)
            yy, xx = torch.meshgrid(torch.linspace(-1, 1, spec.input_height // STRIDE),
                                    torch.linspace(-1, 1, spec.input_width // STRIDE),
                                    indexing="ij")
            self.register_buffer("coords", torch.stack([yy, xx])[None])

        def forward(self, image: Any, intrinsics: Any) -> tuple[Any, ...]:
            f, fine = self.features(image, with_fine=True)
            boxes = f if fine is None else torch.relu(
                nn.functional.interpolate(f, scale_factor=2.0, mode="nearest") + fine)
            reg = self.reg(boxes)
            # Depth scales with focal length for the same apparent size: use the intrinsics.
            depth_shift = torch.log(intrinsics[:, 0:1] / fx)[:, :, None, None]
            reg = torch.cat([reg[:, :2], reg[:, 2:3] + depth_shift, reg[:, 3:]], dim=1)
            return (torch.sigmoid(self.heat(boxes)), reg, *self.lanes(f))

        def features(self, image: Any, with_fine: bool = False) -> Any:
            """Neck output (stride 8); with_fine: also the stride-4 lateral term (or None)."""
            early = self.trunk[:3](image)
            f = self.trunk[3:](early)
            f = self.neck(torch.cat([f, self.coords.expand(f.shape[0], -1, -1, -1)], dim=1))
            if not with_fine:
                return f
            return f, None if self.lateral is None else self.lateral(early)

        def lanes(self, f: Any) -> tuple[Any, ...]:
            lanes = self.lane_fc(self.lane_reduce(f)).reshape(-1, n_l, LANE_FIELDS)
            c0 = 1 + len(LANE_TYPES)
            u0 = c0 + len(LANE_COLORS)
            return (torch.sigmoid(lanes[..., 0]),
                    torch.softmax(lanes[..., 1:c0], dim=-1),
                    torch.softmax(lanes[..., c0:u0], dim=-1),
                    lanes[..., u0:u0 + n_r],
                    torch.sigmoid(lanes[..., u0 + n_r:]))

    return Net()


def losses(out: tuple[Any, ...], t: dict[str, Any]) -> dict[str, Any]:
    """Focal heatmap loss, masked L1 box regression, lane existence/type/colour/columns."""
    import torch
    import torch.nn.functional as F

    heat, reg = out[:2]
    p = heat.clamp(1e-4, 1 - 1e-4)
    gt = t["heatmap"]
    pos = gt.eq(1.0).float()
    focal = -(pos * (1 - p) ** 2 * torch.log(p)
              + (1 - pos) * (1 - gt) ** 4 * p**2 * torch.log(1 - p)).sum()
    n_pos = pos.sum().clamp(min=1.0)
    mask = t["box_mask"][:, None]
    weights = torch.tensor([1, 1, 2, 1, 1, 1, 1, 1], dtype=reg.dtype)[None, :, None, None]
    reg_l1 = (F.smooth_l1_loss(reg, t["box_reg"], reduction="none", beta=0.1)
              * mask * weights).sum() / n_pos
    return {"heat": focal / n_pos, "reg": reg_l1, **lane_losses(out[2:], t)}


def lane_losses(out: tuple[Any, ...], t: dict[str, Any]) -> dict[str, Any]:
    """Lane existence, type and colour cross-entropies, column L1, row visibility."""
    import torch
    import torch.nn.functional as F

    exist, ltype, color, lu, lvis = out
    e = t["lane_exist"]
    n_e = e.sum().clamp(min=1.0)
    lane_exist = F.binary_cross_entropy(exist.clamp(1e-4, 1 - 1e-4), e)
    lane_type = -(torch.log(ltype.clamp(min=1e-6)).gather(-1, t["lane_type"][..., None])[..., 0]
                  * e).sum() / n_e
    lane_color = -(torch.log(color.clamp(min=1e-6)).gather(-1, t["lane_color"][..., None])[..., 0]
                   * e).sum() / n_e
    vis = t["lane_vis"]
    lane_u = (torch.abs(lu - t["lane_u"]) * vis).sum() / vis.sum().clamp(min=1.0) * 10.0
    lane_vis = (F.binary_cross_entropy(lvis.clamp(1e-4, 1 - 1e-4), vis, reduction="none")
                * e[..., None]).sum() / (n_e * vis.shape[-1])
    return {"lane_exist": lane_exist, "lane_type": lane_type, "lane_color": lane_color,
            "lane_u": lane_u, "lane_vis": lane_vis}


def load_exported(net: Any, path: Path) -> None:
    """Warm start from an exported model of the same architecture.

    The export folded each BatchNorm into the convolution before it, so a BatchNorm comes back
    as the identity plus the folded bias (mean 0, variance 1 - eps, scale 1). Training then keeps
    those layers in eval mode (see _freeze_norms): batch statistics would change the function.
    """
    import onnx
    import torch
    from onnx import numpy_helper
    from torch import nn

    model = onnx.load(str(path))
    weights = {compacted_name(i.name): numpy_helper.to_array(i).astype(np.float32)
               for i in model.graph.initializer}
    state = net.state_dict()
    folded = [n for n in model.graph.node if n.op_type == "Conv" and n.input[1] not in state]
    normed = [(m[0], m[1]) for m in net.modules()
              if isinstance(m, nn.Sequential) and len(m) > 1 and isinstance(m[1], nn.BatchNorm2d)]
    if len(folded) != len(normed):
        raise SystemExit(f"{path}: {len(folded)} folded convolutions, the network has "
                         f"{len(normed)}: not the same architecture")
    with torch.no_grad():
        for name, value in weights.items():
            if name in LANE_OUT and state[name].shape[0] != value.shape[0]:
                old, new = value.shape[0] // LANE_FIELDS, state[name].shape[0] // LANE_FIELDS
                if new < old:
                    raise SystemExit(f"{path} has {old} lane slots: give --lanes {old} or more")
                value = widen_lane_slots(value, old, new)
            if name in state:
                _copy(state[name], value, name)
        for node, (conv, norm) in zip(folded, normed, strict=True):
            _copy(conv.weight, weights[node.input[1]], node.input[1])
            norm.weight.fill_(1.0)
            norm.bias.copy_(torch.from_numpy(weights[node.input[2]].copy()))
            norm.running_mean.zero_()
            norm.running_var.fill_(1.0 - norm.eps)


def widen_lane_slots(value: np.ndarray, old: int, new: int) -> np.ndarray:
    """Rows of the lane output layer for `new` slots: each old slot keeps its side and rank.

    Slots count outwards from the ego car on each side, so the k-th slot on a side keeps its
    meaning; the added outer slots start as copies of the old outermost ones and learn from there.
    """
    rows = value.reshape(old, LANE_FIELDS, *value.shape[1:])
    half_old, half_new = old // 2, new // 2
    left = [half_old - 1 - min(d, half_old - 1) for d in range(half_new)][::-1]
    right = [half_old + min(d, old - half_old - 1) for d in range(new - half_new)]
    return np.concatenate([rows[i] for i in left + right]).copy()


def _copy(target: Any, value: np.ndarray, name: str) -> None:
    import torch

    if tuple(target.shape) != value.shape:
        raise SystemExit(f"weight {name}: shape {value.shape} in the model, "
                         f"{tuple(target.shape)} in the network: not the same architecture")
    target.copy_(torch.from_numpy(value.copy()))


def _freeze_norms(net: Any) -> None:
    from torch import nn

    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()


def train(spec: ModelSpec, data: dict[str, np.ndarray], epochs: int, batch: int, lr: float,
          seed: int = 0, budget_s: float = 480.0, init: Path | None = None
          ) -> tuple[Any, list[dict[str, float]]]:
    """AdamW, warm-up + cosine decay (see _set_lr), photometric augmentation, time-bounded.

    With `init`, training continues from that exported model (BatchNorms frozen as folded).
    """
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = build_net(spec)
    if init is not None:
        load_exported(net, init)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
    n = len(data["image"])
    tensors = {k: torch.from_numpy(v) for k, v in data.items()}
    history: list[dict[str, float]] = []
    start = time.perf_counter()
    for epoch in range(epochs):
        net.train()
        if init is not None:
            _freeze_norms(net)
        order = torch.from_numpy(rng.permutation(n))
        sums: dict[str, float] = {}
        for i in range(0, n, batch):
            idx = order[i:i + batch]
            t = {k: v[idx] for k, v in tensors.items()}
            image = _augment(t["image"].float() / 255.0, rng)
            parts = losses(net(image, t["intrinsics"]), t)
            loss = sum(parts.values())
            opt.zero_grad()
            loss.backward()
            opt.step()
            _set_lr(opt, lr, (time.perf_counter() - start) / budget_s, (epoch + i / n) / epochs)
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach()) * len(idx) / n
        sums["epoch"], sums["elapsed_s"] = epoch, time.perf_counter() - start
        history.append(sums)
        print(json.dumps({k: round(v, 4) for k, v in sums.items()}), flush=True)
        if sums["elapsed_s"] > budget_s:
            break
    net.eval()
    return net, history


def train_lane_head(spec: ModelSpec, data: dict[str, np.ndarray], epochs: int, batch: int,
                    lr: float, init: Path, seed: int = 0, budget_s: float = 480.0
                    ) -> tuple[Any, list[dict[str, float]]]:
    """Continue `init` training its lane head alone (e.g. after widening it to more slots).

    The trunk and neck stay as they are, so their output is computed once per frame (with one
    draw of the photometric augmentation) and an epoch of the head takes seconds.
    """
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = build_net(spec)
    load_exported(net, init)
    net.eval()
    start = time.perf_counter()
    with torch.no_grad():
        feats = torch.cat([net.features(_augment(torch.from_numpy(data["image"][i:i + 256])
                                                 .float() / 255.0, rng)).half()
                           for i in range(0, len(data["image"]), 256)])
    print(json.dumps({"features_s": round(time.perf_counter() - start, 1)}), flush=True)
    targets = {k: torch.from_numpy(data[k]) for k in TARGET_KEYS if k.startswith("lane_")}
    params = [*net.lane_reduce.parameters(), *net.lane_fc.parameters()]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    history: list[dict[str, float]] = []
    for epoch in range(epochs):
        order = torch.from_numpy(rng.permutation(len(feats)))
        sums: dict[str, float] = {}
        for i in range(0, len(feats), batch):
            idx = order[i:i + batch]
            parts = lane_losses(net.lanes(feats[idx].float()), {k: v[idx] for k, v in
                                                                targets.items()})
            opt.zero_grad()
            sum(parts.values()).backward()
            opt.step()
            _set_lr(opt, lr, (time.perf_counter() - start) / budget_s, (epoch + i / len(feats))
                    / epochs)
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach()) * len(idx) / len(feats)
        sums["epoch"], sums["elapsed_s"] = epoch, time.perf_counter() - start
        history.append(sums)
        print(json.dumps({k: round(v, 4) for k, v in sums.items()}), flush=True)
        if sums["elapsed_s"] > budget_s:
            break
    return net, history


def _set_lr(opt: Any, peak: float, time_frac: float, epoch_frac: float) -> None:
    """Warm-up then cosine decay over whichever runs out first: the time or the epochs.

    The machine is shared, so epochs take unpredictable time; decaying by the time budget
    still ends training annealed when it is cut short.
    """
    frac = min(1.0, max(time_frac, epoch_frac))
    lr = peak * min(1.0, frac / 0.05) * 0.5 * (1.0 + math.cos(math.pi * frac))
    for group in opt.param_groups:
        group["lr"] = max(lr, peak * 0.01)


def _augment(image: Any, rng: np.random.Generator) -> Any:
    import torch

    b = image.shape[0]
    gain = torch.from_numpy(rng.uniform(0.6, 1.4, size=(b, 1, 1, 1)).astype(np.float32))
    tint = torch.from_numpy(rng.uniform(0.85, 1.15, size=(b, 3, 1, 1)).astype(np.float32))
    noise = torch.randn_like(image) * float(rng.uniform(0.0, 0.03))
    return (image * gain * tint + noise).clamp(0.0, 1.0)


def export_onnx(net: Any, spec: ModelSpec, path: Path, model_name: str) -> str:
    """Export to ONNX with the contract's names and metadata, large weights stored as float16
    (workers.prelabel.compact); returns the file's sha256."""
    import onnx
    import torch

    image = torch.zeros(1, 3, spec.input_height, spec.input_width)
    intr = torch.from_numpy(np.array([[fx_ref(spec), fx_ref(spec), spec.input_width / 2.0,
                                       spec.input_height / 2.0]], np.float32))
    names = ["heatmap", "box_reg", "lane_exist", "lane_type", "lane_color", "lane_u", "lane_vis"]
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(net, (image, intr), str(path), input_names=["image", "intrinsics"],
                      output_names=names, opset_version=17, dynamo=False,
                      dynamic_axes={n: {0: "batch"} for n in ["image", "intrinsics", *names]})
    model = onnx.load(str(path))
    meta = {"roadlabel.contract": CONTRACT_VERSION, "roadlabel.classes": ",".join(spec.classes),
            "roadlabel.lane_rows": ",".join(str(r) for r in spec.lane_rows),
            "roadlabel.model_name": model_name}
    for k, v in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = k, v
    compact(model)
    onnx.save(model, str(path))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    """Command line: build data, train, export, print a JSON summary."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.render_only and args.cache is None:
        parser.error("--render-only writes the rendered scenes to --cache: give it")
    spec = spec_from_args(args)
    if args.only == "lanes" and args.init is None:
        raise SystemExit("--only lanes continues a model: give it with --init")
    t0 = time.perf_counter()
    if args.cache and args.cache.exists():
        data = _load_cache(args.cache, spec)
    else:
        if args.seed0 < TRAIN_SEED0:
            raise SystemExit(f"--seed0 {args.seed0}: seeds below {TRAIN_SEED0} are held out")
        data = build_dataset(spec, args.sequences, args.frames, args.step, args.seed0)
        if args.cache:
            np.savez(args.cache, **data)  # type: ignore[arg-type]
    if args.render_only:
        print(json.dumps({"frames": len(data["image"]), "cache": str(args.cache)}))
        return 0
    import torch

    torch.set_num_threads(args.threads)
    if args.extra:
        # One concatenation: joining set by set would copy the growing whole once per set.
        parts = [data] + [_load_cache(extra, spec) for extra in args.extra]
        data = {k: np.concatenate([part[k] for part in parts]) for k in data}
        del parts
    t1 = time.perf_counter()
    if args.only == "lanes":
        net, history = train_lane_head(spec, data, args.epochs, args.batch, args.lr, args.init,
                                       budget_s=args.budget_s)
    else:
        net, history = train(spec, data, args.epochs, args.batch, args.lr,
                             budget_s=args.budget_s, init=args.init)
    sha = export_onnx(net, spec, args.out, args.name)
    print(json.dumps({"frames": len(data["image"]), "data_s": round(t1 - t0, 1),
                      "train_s": round(time.perf_counter() - t1, 1), "epochs": len(history),
                      "final": {k: round(v, 4) for k, v in history[-1].items()},
                      "sha256": sha, "out": str(args.out)}))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line; its defaults train the committed model's architecture from scratch."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/prelabel/baseline.onnx"),
                        help="where the model is written (copy it over the committed one by hand)")
    parser.add_argument("--input", default="144x256", help="HxW of the model input, multiples of 8")
    parser.add_argument("--sequences", type=int, default=1000)
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--step", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget-s", type=float, default=480.0)
    parser.add_argument("--name", default="roadlabel-baseline-scratch")
    parser.add_argument("--cache", type=Path, default=None, help="npz of the rendered dataset")
    parser.add_argument("--seed0", type=int, default=TRAIN_SEED0, help="first scene seed")
    parser.add_argument("--extra", type=Path, action="append", default=[],
                        help="npz of a dataset rendered earlier, trained on as well (repeatable)")
    parser.add_argument("--init", type=Path, default=None,
                        help="exported ONNX model of this architecture to continue training")
    parser.add_argument("--lanes", type=lane_count, default=8,
                        help="lane slots, half each side (more than --init has: it is widened)")
    parser.add_argument("--box-stride", type=int, choices=BOX_STRIDES, default=4,
                        help="4: a fine box grid for small, far road users (the committed model); 8: "
                             "the coarser grid of v8 and earlier, 1.8x less compute")
    parser.add_argument("--only", choices=("all", "lanes"), default="all",
                        help="'lanes': train only the lane head of --init, the rest kept")
    parser.add_argument("--render-only", action="store_true",
                        help="render the scenes into --cache and stop (to build --extra sets)")
    return parser


def spec_from_args(args: argparse.Namespace) -> ModelSpec:
    """The spec of the network the parsed command line trains."""
    height, width = (int(x) for x in args.input.lower().split("x"))
    return make_spec(height, width, args.lanes, args.box_stride)


def lane_count(text: str) -> int:
    """argparse type of --lanes: an even number of slots, half each side of the ego car."""
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 2 or n % 2:
        raise argparse.ArgumentTypeError(f"{text!r}: give an even number of lane slots, 2 or more")
    return n


def _load_cache(path: Path, spec: ModelSpec) -> dict[str, np.ndarray]:
    if not path.exists():
        raise SystemExit(f"{path} does not exist: render it first with --cache")
    data = dict(np.load(path))
    shape = (3, spec.input_height, spec.input_width)
    if data["image"].dtype != np.uint8 or data["image"].shape[1:] != shape:
        raise SystemExit(f"{path} holds {data['image'].dtype} images of "
                         f"{data['image'].shape[1:]}, not uint8 {shape}: remove it")
    if data["heatmap"].shape[2:] != (spec.grid_height, spec.grid_width):
        raise SystemExit(f"{path} has box targets on a {data['heatmap'].shape[2:]} grid, not "
                         f"{(spec.grid_height, spec.grid_width)}: render it for this --box-stride")
    if data["lane_exist"].shape[1] != spec.n_lanes:
        raise SystemExit(f"{path} has targets for {data['lane_exist'].shape[1]} lane slots, not "
                         f"{spec.n_lanes}: re-encode them with workers.prelabel.relabel")
    return data


if __name__ == "__main__":
    raise SystemExit(main())

