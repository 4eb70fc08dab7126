"""Deterministic keys and the span index that marks a span complete."""

from __future__ import annotations

import pickle

from roadlabel.config import S3Settings
from workers.ingest.storage import (
    EncodedFrame,
    SettingsStore,
    SpanIndex,
    chunk_key,
    index_key,
    manifest_key,
    sequence_id,
)


def test_keys_are_functions_of_content_settings_and_span() -> None:
    seq = sequence_id("ab" * 32)
    assert seq == "ab" * 8
    assert chunk_key(seq, "d1", 3) == f"frames/{seq}/d1/00003.bin"
    assert index_key(seq, "d1", 3) == f"frames/{seq}/d1/00003.json"
    assert manifest_key(seq) == f"manifests/{seq}.json"


def test_span_index_round_trips_byte_for_byte() -> None:
    idx = SpanIndex((EncodedFrame(0, "a" * 64, 0, 10), EncodedFrame(512, "b" * 64, 10, 7)),
                    (1024,), 2)
    data = idx.to_json()
    assert SpanIndex.from_json(data) == idx
    assert SpanIndex.from_json(data).to_json() == data


def test_settings_store_pickles_as_settings_without_connecting() -> None:
    store = SettingsStore(S3Settings("127.0.0.1:1", bucket="b"))
    copy = pickle.loads(pickle.dumps(store))
    assert copy.settings == store.settings and copy._store is None
    assert store.for_bucket("other").bucket == "other"
