"""Bad input and unreachable services: one clear line, non-zero exit, no traceback."""

from __future__ import annotations

import socket

import pytest


def _one_clear_line(err: str) -> str:
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert "Traceback" not in err, err
    assert lines and lines[-1].startswith("error: "), err
    return lines[-1]


def test_missing_video(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("demo", "--video", "/nonexistent/drive.mp4")
    assert r.code == 2
    assert "/nonexistent/drive.mp4" in _one_clear_line(r.err)


@pytest.mark.parametrize(("env", "needle"), [
    ({"ROADLABEL_SCHEDULER_PORT": "abc"}, "ROADLABEL_SCHEDULER_PORT"),
    ({"ROADLABEL_DATABASE_URL": "mysql://x"}, "ROADLABEL_DATABASE_URL"),
])
def test_malformed_config(cli, env: dict[str, str], needle: str) -> None:  # type: ignore[no-untyped-def]
    r = cli("db", "migrate", env=env)
    assert r.code == 2 and needle in _one_clear_line(r.err)


def test_unreachable_database(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("db", "migrate", env={"ROADLABEL_DATABASE_URL": "postgresql://u:secret@127.0.0.1:1/x"})
    line = _one_clear_line(r.err)
    assert r.code == 2 and "PostgreSQL" in line and "secret" not in line


def test_unreachable_s3(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("serve", env={"ROADLABEL_DATABASE_URL": "postgresql://u@127.0.0.1:1/x",
                          "ROADLABEL_S3_ENDPOINT": "127.0.0.1:1"})
    assert r.code == 2 and "S3" in _one_clear_line(r.err)


def test_port_already_taken(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = cli("serve", env={"ROADLABEL_SCHEDULER_PORT": str(port)}, timeout=120)
    line = _one_clear_line(r.err)
    assert r.code == 2 and str(port) in line and "ROADLABEL_SCHEDULER_PORT" in line


def test_ingest_refuses_bad_segment_and_limit_flags_before_any_video(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    video = tmp_path / "missing.mp4"  # never opened: the flags are checked first
    for flags, message in ((["--segment-length", "0"], "segment length 0 with overlap"),
                           (["--segment-length", "50", "--segment-overlap", "60"],
                            "segment length 50 with overlap 60"),
                           (["--max-duration", "-1"], "max duration -1.0 s is invalid")):
        r = cli("ingest", str(video), "--batch", "b1", *flags)
        assert r.code == 2 and message in r.err and "Traceback" not in r.err, r.err
