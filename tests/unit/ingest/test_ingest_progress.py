"""The CLI progress line: frames, rate and ETA per video."""

from __future__ import annotations

import io

from workers.ingest.progress import ProgressEvent, ProgressPrinter, format_event


def test_running_line_has_rate_and_eta() -> None:
    e = ProgressEvent(1, 3, "s3://b/videos/clip.mp4", 40, 90, 2.0, "running")
    assert format_event(e) == "ingest [2/3] clip.mp4: 40/90 frames, 20.0 frames/s, ETA 2.5 s"


def test_finished_and_failed_lines() -> None:
    done = ProgressEvent(0, 1, "/v/a.mkv", 90, 90, 3.0, "done")
    assert format_event(done).endswith("90/90 frames, 30.0 frames/s, done")
    assert format_event(ProgressEvent(0, 1, "/v/a.mkv", 0, 0, 0.1, "failed")).endswith("failed")


def test_printer_writes_one_line_per_event_when_not_a_terminal() -> None:
    out = io.StringIO()
    printer = ProgressPrinter(out)
    printer(ProgressEvent(0, 1, "a.mp4", 1, 2, 1.0, "running"))
    printer(ProgressEvent(0, 1, "a.mp4", 2, 2, 2.0, "done"))
    assert out.getvalue().count("\n") == 2
