"""YOLO (Darknet / Ultralytics) text labels of the projected 2D boxes.

Conventions: ``labels/<sequence>/<index:06d>.txt`` per frame, one line per box:
``class_id x_center y_center width height``, all four normalised by the image width / height
to [0, 1] (origin top-left); ``class_id`` is the 0-based position in ``classes.txt`` (the
built-in ontology's classes in its order, then any others sorted: ids stable across
snapshots); ``data.yaml`` lists the same names for Ultralytics. Frames without boxes get an
empty file (a negative sample, as YOLO expects).

Not representable: 3D geometry, track ids, scores, lanes, attributes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from roadlabel.exports.boxes2d import Box2D, categories, project_documents
from roadlabel.exports.frames import by_sequence
from roadlabel.labels import Calibration, LabelDocument


def export(documents: Sequence[LabelDocument],
           calibrations: Mapping[str, Calibration]) -> dict[str, bytes]:
    """Label files, ``classes.txt`` and ``data.yaml``."""
    boxes = project_documents(documents, calibrations)
    names = categories(boxes)
    lines: dict[str, list[str]] = {}
    for seq, frames in by_sequence(documents).items():
        for f in frames:
            lines[f"labels/{seq}/{f.frame_index:06d}.txt"] = []
    for b in boxes:
        cal = calibrations[b.sequence_id]
        cx, cy = (b.x1 + b.x2) / 2 / cal.width, (b.y1 + b.y2) / 2 / cal.height
        w, h = (b.x2 - b.x1) / cal.width, (b.y2 - b.y1) / cal.height
        lines[f"labels/{b.sequence_id}/{b.frame_index:06d}.txt"].append(
            f"{names.index(b.category)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n")
    files = {p: "".join(v).encode() for p, v in lines.items()}
    files["classes.txt"] = "".join(f"{n}\n" for n in names).encode()
    files["data.yaml"] = ("names:\n" + "".join(f"  {i}: {n}\n" for i, n in enumerate(names))
                          ).encode()
    return files


def load(files: Mapping[str, bytes], calibrations: Mapping[str, Calibration]) -> list[Box2D]:
    """Boxes in pixels (YOLO files carry no image size: the calibrations give it)."""
    names = files["classes.txt"].decode().split()
    out = []
    for path in sorted(p for p in files if p.startswith("labels/")):
        _, seq, name = path.split("/")
        cal = calibrations[seq]
        for row in files[path].decode().splitlines():
            k, cx, cy, w, h = row.split()
            x, y = float(cx) * cal.width, float(cy) * cal.height
            bw, bh = float(w) * cal.width, float(h) * cal.height
            out.append(Box2D(seq, int(name[:-4]), "", names[int(k)], x - bw / 2, y - bh / 2,
                             x + bw / 2, y + bh / 2))
    return out
