"""`roadlabel images REF`: the pixels a dataset ref pins, from S3, where the exports point."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from roadlabel.cli.main import main
from roadlabel.config import S3Settings
from roadlabel.manifest import FrameRecord
from roadlabel.versioning import GitVersioning, publish_batch
from tests.integration.versioning.versioning_samples import document, lineage, manifest
from workers.ingest.storage import SettingsStore


def test_images_of_a_published_ref_are_written_and_a_rerun_skips_them(
        tmp_path: Path, s3_settings: S3Settings, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for var in ("ROADLABEL_LAKEFS_ENDPOINT", "ROADLABEL_LAKEFS_ACCESS_KEY",
                "ROADLABEL_LAKEFS_SECRET_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ROADLABEL_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ROADLABEL_S3_ENDPOINT", s3_settings.endpoint or "")
    monkeypatch.setenv("ROADLABEL_S3_BUCKET", s3_settings.bucket)
    images = [b"\xff\xd8frame-%d" % i for i in range(3)]
    key = "frames/img-seq/chunk0.bin"
    SettingsStore(s3_settings).put(key, b"".join(images))
    offsets = [sum(len(x) for x in images[:i]) for i in range(3)]
    m = replace(manifest("img-seq", n=3), frames=tuple(
        FrameRecord(i, i * 100, i / 10, hashlib.sha256(data).hexdigest(), key, offsets[i],
                    len(data)) for i, data in enumerate(images)))
    vs = GitVersioning(tmp_path / "home" / "dataset.git")
    publish_batch(vs, "imgs", [document("img-seq", 0)], [m], lineage())
    out = tmp_path / "images"
    assert main(["images", "batch-imgs", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip().endswith(
        f"3 images written, 0 already there, 0 failed, under {out}")
    assert [(out / "img-seq" / f"{i:06d}.jpg").read_bytes() for i in range(3)] == images
    assert main(["images", "batch-imgs", "--out", str(out)]) == 0
    assert "0 images written, 3 already there" in capsys.readouterr().out
    assert main(["images", "batch-imgs", "--out", str(out), "--sequence", "nope"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: ")
