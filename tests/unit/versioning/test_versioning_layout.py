"""Repository layout: one object per segment, deterministic bytes."""

from __future__ import annotations

import json

import pytest

from roadlabel.labels import Calibration, FrameLabels, LabelDocument
from roadlabel.labels_json import document_to_dict
from roadlabel.manifest import SequenceManifest, VideoInfo
from roadlabel.versioning.base import InvalidName
from roadlabel.versioning.layout import (
    annotation_path,
    batch_objects,
    document_from_bytes,
    manifest_path,
    parquet_paths,
    parse_annotation_path,
)


def _doc(seq: str, first: int, n: int) -> LabelDocument:
    return LabelDocument(seq, first, tuple(FrameLabels(i, i / 10) for i in range(first, first + n)))


def test_annotation_path_names_the_half_open_frame_range() -> None:
    assert annotation_path(_doc("drive-7", 40, 10)) == "annotations/drive-7/000040-000050.json"
    assert parse_annotation_path("annotations/drive-7/000040-000050.json") == ("drive-7", 40, 50)
    assert parse_annotation_path("manifests/drive-7.json") is None
    assert parquet_paths(_doc("drive-7", 40, 10)) == (
        "parquet/boxes/drive-7/000040-000050.parquet",
        "parquet/lanes/drive-7/000040-000050.parquet")
    assert parse_annotation_path("parquet/boxes/drive-7/000040-000050.parquet") is None


@pytest.mark.parametrize("bad", ["../x", "a/b", "", ".hidden"])
def test_unsafe_sequence_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidName):
        manifest_path(bad)


def test_batch_objects_are_deterministic_and_parse_back() -> None:
    docs = [_doc("s", 0, 3), _doc("s", 2, 3)]
    manifest = SequenceManifest("s", "b", "file:///v.mp4", "0" * 64,
                                VideoInfo("mp4", "h264", 640, 360, 1.0),
                                Calibration.default_for(640, 360), 10.0, "jpeg", 640, 360,
                                "av-18", ())
    objects = batch_objects(docs, [manifest])
    assert objects == batch_objects(list(docs), [manifest])
    assert sorted(objects) == [
        "annotations/s/000000-000003.json", "annotations/s/000002-000005.json",
        "manifests/s.json",
        "parquet/boxes/s/000000-000003.parquet", "parquet/boxes/s/000002-000005.parquet",
        "parquet/lanes/s/000000-000003.parquet", "parquet/lanes/s/000002-000005.parquet"]
    assert document_from_bytes(objects["annotations/s/000002-000005.json"]) == docs[1]
    assert json.loads(objects["annotations/s/000000-000003.json"]) == document_to_dict(docs[0])
    assert SequenceManifest.from_json(objects["manifests/s.json"].decode()) == manifest
