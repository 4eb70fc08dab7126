"""Pascal VOC XML, one file per frame, of the projected 2D boxes.

Conventions (VOC2012 devkit): ``Annotations/<sequence>/<index:06d>.xml`` with ``filename``,
``size`` (width, height, depth 3) and per box an ``object`` with ``name`` (the category),
``pose`` Unspecified, ``truncated`` (1 when the projected rectangle was clipped by the image
border), ``difficult`` 0 and ``bndbox``. VOC pixel coordinates are 1-based integers:
``xmin = round(x1) + 1``, ``ymin = round(y1) + 1``, ``xmax = round(x2)``, ``ymax = round(y2)``,
where (x1, y1, x2, y2) are continuous coordinates from the top-left image corner; ``load``
inverts this (so a round trip is exact to half a pixel).

Not representable: 3D geometry, track ids, scores, lanes, attributes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from roadlabel.exports.boxes2d import Box2D, project_documents
from roadlabel.exports.frames import by_sequence
from roadlabel.labels import Calibration, LabelDocument


def export(documents: Sequence[LabelDocument],
           calibrations: Mapping[str, Calibration]) -> dict[str, bytes]:
    """One XML file per frame (frames without visible boxes included)."""
    boxes = project_documents(documents, calibrations)
    files: dict[str, bytes] = {}
    for seq, frames in by_sequence(documents).items():
        cal = calibrations[seq]
        for f in frames:
            mine = [b for b in boxes if (b.sequence_id, b.frame_index) == (seq, f.frame_index)]
            root = _annotation(seq, f.frame_index, cal, mine)
            ET.indent(root)
            files[f"Annotations/{seq}/{f.frame_index:06d}.xml"] = ET.tostring(root)
    return files


def load(files: Mapping[str, bytes]) -> list[Box2D]:
    """The boxes of the XML files, in path order (track ids are empty, scores 1)."""
    out = []
    for path in sorted(files):
        root = ET.fromstring(files[path])
        seq = root.findtext("folder", "")
        index = int(root.findtext("filename", "0").split(".")[0])
        for obj in root.iter("object"):
            bb = obj.find("bndbox")
            assert bb is not None
            xmin, ymin, xmax, ymax = (float(bb.findtext(k, "0"))
                                      for k in ("xmin", "ymin", "xmax", "ymax"))
            out.append(Box2D(seq, index, "", obj.findtext("name", ""), xmin - 1, ymin - 1,
                             xmax, ymax))
    return out


def _annotation(seq: str, index: int, cal: Calibration, boxes: list[Box2D]) -> ET.Element:
    root = ET.Element("annotation")
    _text(root, "folder", seq)
    _text(root, "filename", f"{index:06d}.jpg")
    _text(root, "path", f"{seq}/{index:06d}.jpg")
    _text(ET.SubElement(root, "source"), "database", "roadlabel")
    size = ET.SubElement(root, "size")
    for k, n in (("width", cal.width), ("height", cal.height), ("depth", 3)):
        _text(size, k, str(n))
    _text(root, "segmented", "0")
    for b in boxes:
        obj = ET.SubElement(root, "object")
        clipped = b.x1 <= 0 or b.y1 <= 0 or b.x2 >= cal.width or b.y2 >= cal.height
        for k, v in (("name", b.category), ("pose", "Unspecified"),
                     ("truncated", str(int(clipped))), ("difficult", "0")):
            _text(obj, k, v)
        bb = ET.SubElement(obj, "bndbox")
        for k, px in (("xmin", round(b.x1) + 1), ("ymin", round(b.y1) + 1),
                      ("xmax", round(b.x2)), ("ymax", round(b.y2))):
            _text(bb, k, str(px))
    return root


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text
