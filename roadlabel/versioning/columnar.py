"""Parquet tables of a label document, for bulk (columnar) reading by training loaders.

Each annotation segment gets two Parquet files beside its JSON document (paths in
``LAYOUT.md``): one row per box, and one row per lane point. One file per segment, derived
from that segment's document only, so two batches never write the same file unless they
labelled the same segment (then the JSON conflicts too), exactly like the JSON objects.

The bytes are a function of the document and the pyarrow version: every writer option that
could change the output is pinned here (format version, codec, level, encodings, page
layout), and a Parquet footer holds no timestamp. Re-publishing the same labels therefore
stages the same bytes; only a pyarrow upgrade (its ``created_by`` string) changes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from roadlabel.labels import Box3D, LabelDocument, Lane

BOXES_SCHEMA_ID = "roadlabel.boxes/v1"
LANES_SCHEMA_ID = "roadlabel.lanes/v1"

_KEY = [
    pa.field("sequence_id", pa.string(), nullable=False),
    pa.field("first_frame", pa.int64(), nullable=False),
    pa.field("frame_index", pa.int64(), nullable=False),
    pa.field("timestamp_s", pa.float64(), nullable=False),
]
BOXES_SCHEMA = pa.schema(
    [*_KEY, pa.field("track_id", pa.string(), nullable=False),
     pa.field("category", pa.string(), nullable=False),
     *(pa.field(n, pa.float64(), nullable=False)
       for n in ("x", "y", "z", "length", "width", "height", "yaw", "score")),
     pa.field("attributes", pa.string(), nullable=False)],
    metadata={"roadlabel.schema": BOXES_SCHEMA_ID},
)
LANES_SCHEMA = pa.schema(
    [*_KEY, pa.field("lane_id", pa.string(), nullable=False),
     pa.field("type", pa.string(), nullable=False),
     pa.field("color", pa.string(), nullable=False),
     pa.field("score", pa.float64(), nullable=False),
     pa.field("point_index", pa.int64()),
     *(pa.field(n, pa.float64()) for n in ("x", "y", "z", "u", "v"))],
    metadata={"roadlabel.schema": LANES_SCHEMA_ID},
)

# Pinned so that a change of pyarrow's defaults cannot change the bytes of unchanged labels.
_WRITER_OPTIONS: dict[str, Any] = {
    "version": "2.6", "compression": "zstd", "compression_level": 3, "use_dictionary": True,
    "write_statistics": True, "data_page_version": "1.0", "store_schema": True,
    "write_page_index": False, "write_page_checksum": False, "use_byte_stream_split": False,
    "data_page_size": 1 << 20, "write_batch_size": 1024, "dictionary_pagesize_limit": 1 << 20,
    "row_group_size": 1 << 20,
}


def box_rows(doc: LabelDocument) -> list[dict[str, Any]]:
    """One row per box of the document, in document order (the BOXES_SCHEMA columns)."""
    return [
        {"sequence_id": doc.sequence_id, "first_frame": doc.first_frame,
         "frame_index": f.frame_index, "timestamp_s": f.timestamp_s,
         "track_id": b.track_id, "category": b.category, "x": b.x, "y": b.y, "z": b.z,
         "length": b.length, "width": b.width, "height": b.height, "yaw": b.yaw,
         "score": b.score, "attributes": _attributes_json(b.attributes)}
        for f in doc.frames for b in f.boxes
    ]


def lane_rows(doc: LabelDocument) -> list[dict[str, Any]]:
    """One row per lane point (ego x, y, z and image u, v side by side), in document order.

    The i-th ego point and the i-th image point share a row; where one polyline is longer,
    the other's columns are null. A lane without points is one row with null point_index.
    """
    return [
        {"sequence_id": doc.sequence_id, "first_frame": doc.first_frame,
         "frame_index": f.frame_index, "timestamp_s": f.timestamp_s, **point}
        for f in doc.frames for lane in f.lanes for point in _lane_points(lane)
    ]


def _lane_points(lane: Lane) -> list[dict[str, Any]]:
    head = {"lane_id": lane.lane_id, "type": lane.lane_type, "color": lane.color,
            "score": lane.score}
    count = max(len(lane.points_ego), len(lane.points_image))
    if count == 0:
        return [{**head, "point_index": None, "x": None, "y": None, "z": None, "u": None,
                 "v": None}]
    rows = []
    for i in range(count):
        x, y, z = lane.points_ego[i] if i < len(lane.points_ego) else (None, None, None)
        u, v = lane.points_image[i] if i < len(lane.points_image) else (None, None)
        rows.append({**head, "point_index": i, "x": x, "y": y, "z": z, "u": u, "v": v})
    return rows


def _attributes_json(attributes: dict[str, str]) -> str:
    if not attributes:
        return "{}"  # most boxes: skip the encoder
    return json.dumps(attributes, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def boxes_parquet(doc: LabelDocument) -> bytes:
    """The boxes of a document as Parquet bytes (an empty table when it has none)."""
    return _to_parquet(box_rows(doc), BOXES_SCHEMA)


def lanes_parquet(doc: LabelDocument) -> bytes:
    """The lane points of a document as Parquet bytes (an empty table when it has none)."""
    return _to_parquet(lane_rows(doc), LANES_SCHEMA)


def _to_parquet(rows: list[dict[str, Any]], schema: pa.Schema) -> bytes:
    # Column lists, not pylist: one pass per column is ~3x faster for small tables.
    columns = {name: [r[name] for r in rows] for name in schema.names}
    table = pa.table(columns, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **_WRITER_OPTIONS)
    return bytes(sink.getvalue())


def read_table(data: bytes) -> pa.Table:
    """A Parquet object's bytes as an Arrow table."""
    return pq.read_table(pa.BufferReader(data))


def boxes_from_rows(rows: Iterable[dict[str, Any]]) -> dict[int, tuple[Box3D, ...]]:
    """Boxes by frame index, rebuilt from BOXES_SCHEMA rows (the inverse of box_rows)."""
    out: dict[int, list[Box3D]] = {}
    for r in rows:
        out.setdefault(r["frame_index"], []).append(Box3D(
            r["track_id"], r["category"], r["x"], r["y"], r["z"], r["length"], r["width"],
            r["height"], r["yaw"], r["score"], json.loads(r["attributes"])))
    return {k: tuple(v) for k, v in out.items()}


def lanes_from_rows(rows: Iterable[dict[str, Any]]) -> dict[int, tuple[Lane, ...]]:
    """Lanes by frame index, rebuilt from LANES_SCHEMA rows (the inverse of lane_rows)."""
    points: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for r in rows:
        # Lane ids are unique within a frame, so (frame, lane_id) groups one lane's points.
        points.setdefault(r["frame_index"], {}).setdefault(r["lane_id"], []).append(r)
    return {frame: tuple(_lane(group) for group in lanes.values())
            for frame, lanes in points.items()}


def _lane(rows: list[dict[str, Any]]) -> Lane:
    first = rows[0]
    ego = tuple((r["x"], r["y"], r["z"]) for r in rows if r["x"] is not None)
    image = tuple((r["u"], r["v"]) for r in rows if r["u"] is not None)
    return Lane(first["lane_id"], first["type"], first["color"], ego, image, first["score"])
