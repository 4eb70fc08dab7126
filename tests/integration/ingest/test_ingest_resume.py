"""Idempotent, resumable, span-parallel ingest: re-runs and crashes never change the frames."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psutil
import pytest
from minio import Minio

from roadlabel.manifest import SequenceManifest
from roadlabel.objectstore import MinioStore
from roadlabel.registrar import RegistrationRefused
from tests.integration.ingest.helpers import manifest
from tests.videos import write_video
from workers.ingest import IngestOptions, InMemoryRegistrar, ingest_videos
from workers.ingest.storage import SettingsStore


def _keys(store: SettingsStore) -> set[str]:
    return set(store.list(""))


def _remove(store: SettingsStore, keys: list[str]) -> None:
    s = store.settings
    client = Minio(s.endpoint or "", access_key=s.access_key, secret_key=s.secret_key,
                   secure=False)
    for key in keys:
        client.remove_object(s.bucket, key)


def test_same_video_twice_gives_the_same_frames_and_objects(
    store: SettingsStore, tmp_path: Path
) -> None:
    path = str(write_video(tmp_path / "a.mp4", seconds=3.0))
    options = IngestOptions(span_seconds=0.5)
    registrar = InMemoryRegistrar()
    first = ingest_videos([path], "b", options, store, registrar).videos[0]
    seq = first.sequence_id
    keys, text = _keys(store), store.get(f"manifests/{seq}.json")

    again = ingest_videos([path], "b", options, store, registrar).videos[0]

    assert again.ok and again.sequence_id == seq and again.spans_resumed == first.spans
    assert store.get(f"manifests/{seq}.json") == text
    assert _keys(store) == keys
    assert registrar.calls == 2  # registration is repeated; the registrar must be idempotent


class _RefusingRegistrar(InMemoryRegistrar):
    def register(self, manifest: SequenceManifest, segments: list[tuple[int, int]]) -> None:
        raise RegistrationRefused(f"scheduler refused batch {manifest.batch}", "create it")


def test_a_batch_the_scheduler_refuses_leaves_the_manifest_as_it_was(
    store: SettingsStore, tmp_path: Path
) -> None:
    path = str(write_video(tmp_path / "a.mp4", seconds=1.0))
    first = ingest_videos([path], "b", IngestOptions(), store, InMemoryRegistrar()).videos[0]
    text = store.get(f"manifests/{first.sequence_id}.json")

    refused = ingest_videos([path], "nosuch", IngestOptions(), store,
                            _RefusingRegistrar()).videos[0]

    assert not refused.ok and "scheduler refused batch nosuch" in refused.reason
    assert store.get(f"manifests/{first.sequence_id}.json") == text  # still batch "b"


def test_a_run_that_died_midway_resumes_without_gaps_or_duplicates(
    store: SettingsStore, tmp_path: Path
) -> None:
    path = str(write_video(tmp_path / "a.mkv", codec="hevc", seconds=3.0))
    options = IngestOptions(span_seconds=0.5)
    done = ingest_videos([path], "b", options, store).videos[0]
    seq = done.sequence_id
    reference, keys = store.get(f"manifests/{seq}.json"), _keys(store)
    # What a crash leaves: no manifest, some spans missing their index (chunk maybe written).
    indexes = sorted(k for k in keys if k.endswith(".json") and k.startswith("frames/"))
    _remove(store, [f"manifests/{seq}.json", *indexes[::2]])

    resumed = ingest_videos([path], "b", options, store).videos[0]

    assert resumed.ok and resumed.spans_resumed == done.spans - len(indexes[::2])
    assert store.get(f"manifests/{seq}.json") == reference
    assert _keys(store) == keys


@pytest.mark.parametrize(("codec", "ext"), [("h264", "mp4"), ("hevc", "mkv"), ("av1", "mkv")])
def test_span_parallel_decode_equals_one_pass(
    store: SettingsStore, tmp_path: Path, codec: str, ext: str
) -> None:
    path = str(write_video(tmp_path / f"a.{ext}", codec=codec, seconds=3.0, gop=10))
    hz = 25.0  # keep every frame: a slip at a span boundary cannot hide
    split = ingest_videos([path], "b", IngestOptions(sample_hz=hz, span_seconds=0.3), store)
    whole = ingest_videos([path], "b", IngestOptions(sample_hz=hz, span_seconds=1000), store)
    assert split.videos[0].spans >= 5 and whole.videos[0].spans == 1
    # Both runs share the sequence id, so read the span indexes rather than the manifest.
    a, b = (_frames(store, r.videos[0].sequence_id) for r in (split, whole))
    assert len(a) == 75 and a == b


def _frames(store: SettingsStore, seq: str | None) -> list[tuple[int, str]]:
    from workers.ingest.storage import SpanIndex

    out: list[tuple[int, str]] = []
    digests = {k.split("/")[2] for k in store.list(f"frames/{seq}/")}
    assert len(digests) == 2
    latest = manifest(store, seq).extra["settings_digest"]
    for key in sorted(store.list(f"frames/{seq}/{latest}/")):
        if key.endswith(".json"):
            out += [(f.pts, f.sha256) for f in SpanIndex.from_json(store.get(key)).frames]
    if not out:
        raise AssertionError("no span index found")
    return out


def test_a_killed_worker_is_retried_and_nothing_is_lost(
    store: SettingsStore, tmp_path: Path
) -> None:
    path = str(write_video(tmp_path / "big.mp4", width=1280, height=720, seconds=4.0, gop=12,
                           bframes=False))
    options = IngestOptions(span_seconds=0.4, sample_hz=25)
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_first_span_worker, args=(killed, stop))
    killer.start()
    try:
        report = ingest_videos([path], "crash", options, store)
    finally:
        stop.set()
        killer.join()
    assert killed, "no span task was caught running, so no worker was killed"
    assert report.videos[0].ok, report.videos[0].reason
    m = manifest(store, report.videos[0].sequence_id)
    assert [f.index for f in m.frames] == list(range(100))
    assert len({f.pts for f in m.frames}) == 100


def _kill_first_span_worker(killed: list[int], stop: threading.Event) -> None:
    """SIGKILL the first Ray worker seen running a span task (its title is ray::run_span)."""
    deadline = time.monotonic() + 60
    while not stop.is_set() and time.monotonic() < deadline and not killed:
        for proc in psutil.process_iter(["cmdline"]):
            cmd = proc.info.get("cmdline") or []
            if cmd and cmd[0].startswith("ray::run_span"):
                proc.kill()
                killed.append(proc.pid)
                return
        stop.wait(0.005)


def test_a_store_that_cannot_travel_is_written_by_the_driver(
    store: SettingsStore, tmp_path: Path
) -> None:
    path = str(write_video(tmp_path / "a.mp4", seconds=2.0))
    plain = MinioStore(store.settings)  # holds a live client: Ray cannot ship it
    report = ingest_videos([path], "b", IngestOptions(span_seconds=0.5), plain)
    assert report.videos[0].ok, report.videos[0].reason
    m = manifest(plain, report.videos[0].sequence_id)
    assert len(m.frames) == 20
    assert plain.get(m.frames[7].key, m.frames[7].offset, m.frames[7].length)[:2] == b"\xff\xd8"


def test_an_s3_source_gives_the_same_sequence_as_the_local_file(
    store: SettingsStore, tmp_path: Path
) -> None:
    path = write_video(tmp_path / "a.mp4", seconds=2.0)
    store.put("incoming/a.mp4", path.read_bytes(), "video/mp4")
    uri = f"s3://{store.bucket}/incoming/a.mp4"
    report = ingest_videos([uri, str(path)], "s3", IngestOptions(), store)
    remote, local = report.videos
    assert remote.ok and local.ok, (remote.reason, local.reason)
    assert remote.sequence_id == local.sequence_id
    assert manifest(store, remote.sequence_id).frames == manifest(store, local.sequence_id).frames
