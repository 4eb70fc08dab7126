"""COCO detection JSON (``instances.json``) of the projected 2D boxes, with video extensions.

Conventions (cocodataset.org "data format"):

- ``images``: one per frame, ``id`` from 1, ``file_name`` = ``<sequence>/<index:06d>.jpg``,
  ``width`` / ``height`` from the calibration; roadlabel adds ``sequence_id`` and
  ``frame_index`` (like the video extensions of TAO / MOT-in-COCO, which use ``video_id``
  and ``frame_id``; both pairs are written);
- ``annotations``: ``bbox`` = ``[x, y, width, height]`` in pixels from the image's top-left
  corner, ``area`` = width * height, ``iscrowd`` = 0, ``category_id`` from 1 in the built-in
  ontology's class order, then other names sorted (stable across snapshots); roadlabel adds
  ``track_id`` and ``score``;
- 2D rectangles come from ``boxes2d`` (projected 3D corners, clipped to the image).

Not representable: 3D geometry, lanes, attributes. ``load`` reads back the 2D boxes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from roadlabel.exports.boxes2d import Box2D, categories, project_documents
from roadlabel.exports.frames import by_sequence, image_name
from roadlabel.labels import Calibration, LabelDocument

FILE = "instances.json"


def export(documents: Sequence[LabelDocument],
           calibrations: Mapping[str, Calibration]) -> dict[str, bytes]:
    """``instances.json``."""
    boxes = project_documents(documents, calibrations)
    names = categories(boxes)
    images: list[dict[str, Any]] = []
    image_id: dict[tuple[str, int], int] = {}
    for v, (seq, frames) in enumerate(by_sequence(documents).items(), start=1):
        cal = calibrations[seq]
        for f in frames:
            image_id[(seq, f.frame_index)] = len(images) + 1
            images.append({"id": len(images) + 1, "file_name": image_name(seq, f.frame_index),
                           "width": cal.width, "height": cal.height, "sequence_id": seq,
                           "frame_index": f.frame_index, "video_id": v,
                           "frame_id": f.frame_index})
    annotations = [{
        "id": i, "image_id": image_id[(b.sequence_id, b.frame_index)],
        "category_id": names.index(b.category) + 1,
        "bbox": [b.x1, b.y1, b.x2 - b.x1, b.y2 - b.y1],
        "area": (b.x2 - b.x1) * (b.y2 - b.y1), "iscrowd": 0, "segmentation": [],
        "track_id": b.track_id, "score": b.score,
    } for i, b in enumerate(boxes, start=1)]
    doc = {"info": {"description": "roadlabel export", "version": "1.0"}, "licenses": [],
           "images": images, "annotations": annotations,
           "categories": [{"id": i, "name": n, "supercategory": "object"}
                          for i, n in enumerate(names, start=1)]}
    return {FILE: json.dumps(doc, indent=1).encode()}


def load(files: Mapping[str, bytes]) -> list[Box2D]:
    """The 2D boxes of an ``instances.json`` written by ``export``."""
    doc = json.loads(files[FILE])
    images = {i["id"]: i for i in doc["images"]}
    names = {c["id"]: c["name"] for c in doc["categories"]}
    out = []
    for a in doc["annotations"]:
        img = images[a["image_id"]]
        x, y, w, h = a["bbox"]
        out.append(Box2D(img["sequence_id"], img["frame_index"], str(a.get("track_id", a["id"])),
                         names[a["category_id"]], x, y, x + w, y + h, float(a.get("score", 1.0))))
    return out
