"""Exporters from roadlabel label documents (ego frame, ISO 8855) to training formats.

Each module converts to its format's own conventions and says which in its docstring; the
shared ones are in ``CONVENTIONS.md``. Every exporter has the signature
``export(documents, calibrations) -> {relative path: bytes}``; ``export_all`` prefixes the
paths with ``exports/<format>/`` as the versioned dataset layout expects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from roadlabel.exports import (
    coco,
    kitti_tracking,
    nuscenes,
    openlabel,
    openlane,
    scalabel,
    voc,
    yolo,
)
from roadlabel.labels import Calibration, LabelDocument

Exporter = Callable[[Sequence[LabelDocument], Mapping[str, Calibration]], dict[str, bytes]]

#: Format name (also its folder under exports/) -> exporter.
FORMATS: dict[str, Exporter] = {
    "kitti_tracking": kitti_tracking.export,
    "openlabel": openlabel.export,
    "nuscenes": nuscenes.export,
    "coco": coco.export,
    "voc": voc.export,
    "yolo": yolo.export,
    "openlane": openlane.export,
    "scalabel": scalabel.export,
}


def export_all(documents: Sequence[LabelDocument], calibrations: Mapping[str, Calibration],
               formats: Iterable[str] = tuple(FORMATS)) -> dict[str, bytes]:
    """Files of the chosen formats under ``exports/<format>/``."""
    out: dict[str, bytes] = {}
    for name in formats:
        for path, data in FORMATS[name](documents, calibrations).items():
            out[f"exports/{name}/{path}"] = data
    return out


__all__ = ["FORMATS", "export_all"]
