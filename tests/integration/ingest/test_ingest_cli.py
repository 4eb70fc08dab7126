"""`roadlabel ingest`: progress on stderr, one status line per video, exit 1 on any failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from roadlabel.cli.main import main
from tests.videos import write_video
from workers.ingest.storage import SettingsStore


def test_cli_reports_each_video_and_fails_the_batch_status(
    store: SettingsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s = store.settings
    monkeypatch.setenv("ROADLABEL_S3_ENDPOINT", s.endpoint or "")
    monkeypatch.setenv("ROADLABEL_S3_BUCKET", s.bucket)
    monkeypatch.setenv("ROADLABEL_HOME", str(tmp_path / "home"))
    good = write_video(tmp_path / "good.mp4", seconds=2.0)
    missing = tmp_path / "missing.mp4"

    status = main(["ingest", str(good), str(missing), "--batch", "cli", "--hz", "5",
                   "--width", "80"])

    out, err = capsys.readouterr()
    assert status == 1
    assert "done   " in out and "10 frames" in out
    assert f"failed {missing}: SourceNotFound" in out
    assert "ingest [1/2] good.mp4: 10/10 frames" in err and "frames/s" in err


def test_cli_succeeds_when_all_videos_are_done(
    store: SettingsStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ROADLABEL_S3_ENDPOINT", store.settings.endpoint or "")
    monkeypatch.setenv("ROADLABEL_S3_BUCKET", store.settings.bucket)
    good = write_video(tmp_path / "good.mkv", seconds=1.0)
    assert main(["ingest", str(good), "--batch", "ok", "--json"]) == 0
    assert '"status": "done"' in capsys.readouterr().out


def test_cli_rejects_a_bad_calibration_file_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ROADLABEL_S3_ENDPOINT", "127.0.0.1:1")
    cal = tmp_path / "cal.json"
    cal.write_text("{}")
    assert main(["ingest", "x.mp4", "--batch", "b", "--calibration", str(cal)]) == 2
    assert capsys.readouterr().err.startswith("error: calibration")
