"""Report pieces: time series maths, SVG charts, and the status table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from roadlabel.cli.status import Row, render_table
from roadlabel.report import series
from roadlabel.report.svg import Series, histogram, nice_ticks, plot

SVG = "{http://www.w3.org/2000/svg}"


def test_throughput_buckets_frames_per_hour() -> None:
    # Two buckets of half an hour: 30 frames in the first, 60 in the second.
    points = series.throughput([(0.1, 10), (0.2, 20), (0.7, 60)], 0.0, 1.0, buckets=2)
    assert points == [(0.25, 60.0), (0.75, 120.0)]


def test_burndown_steps_down_at_each_acceptance() -> None:
    assert series.burndown([(2.0, 5), (1.0, 10)], 15) == [
        (0.0, 15.0), (1.0, 15.0), (1.0, 5.0), (2.0, 5.0), (2.0, 0.0)]


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert nice_ticks(0, 9.3) == [0, 2.5, 5, 7.5, 10]
    assert nice_ticks(3, 3) == [3, 3.25, 3.5, 3.75, 4]


def test_plot_is_valid_svg_with_one_element_per_point() -> None:
    svg = plot("demo", "A <title>", [Series("a", [(0, 1), (1, 2), (2, float("nan"))]),
                                      Series("b", [(0, 3)], line=False)], "x", "y",
               marks=[(1.5, "deadline")])
    root = ET.fromstring(svg)
    points = root.findall(f".//{SVG}circle[@class='point']")
    assert root.get("data-chart") == "demo" and root.get("data-points") == "3"
    assert [(p.get("data-x"), p.get("data-y")) for p in points] == [
        ("0", "1"), ("1", "2"), ("0", "3")]
    assert "A &lt;title&gt;" in svg
    assert len(root.findall(f".//{SVG}polyline")) == 1  # b is points only


def test_histogram_counts_every_value_once() -> None:
    svg = histogram("h", "costs", [0.1, 0.1, 0.2, 0.9, 1.0], 3, "cost",
                    marks=[(50.0, "target")])
    bars = ET.fromstring(svg).findall(f".//{SVG}rect[@class='bar']")
    assert [int(b.get("data-y") or -1) for b in bars] == [3, 0, 2]
    assert "target 50: off the scale" in svg


def test_status_table_shows_relative_times_and_risk() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [Row("b-late", 50, 200, 100.0, now + timedelta(hours=1, minutes=30),
                now + timedelta(minutes=45), True, 3, 0.12, 0.61, 0.5),
            Row("b-new", 0, 10, 0.0, None, now + timedelta(days=1), False, 0, 0, 0, None)]
    text = render_table(rows, now)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["BATCH", "ACCEPTED", "DONE"]
    assert re.search(r"^b-late\s+50/200\s+25%\s+100\s+1h30m\s+45m00s\s+AT RISK", lines[1])
    assert "AT RISK" in lines[1] and "0.6100" in lines[1]
    assert " - " in lines[2] and "1d00h" in lines[2]
    assert render_table([], now).endswith("(no open batches)")
    finished = Row("b-done", 10, 10, 50.0, now - timedelta(minutes=3), now, False, 0, 0, 0, None)
    assert render_table([finished], now).splitlines()[1].split()[4] == "done"  # not "-3m00s"


@pytest.mark.parametrize("value", [float("inf")])
def test_plot_skips_values_it_cannot_draw(value: float) -> None:
    root = ET.fromstring(plot("c", "t", [Series("s", [(0, 1), (1, value)])], "x", "y"))
    assert root.get("data-points") == "1"


def test_error_rate_uses_qa_frame_counts_when_qa_sent_them() -> None:
    from roadlabel.report.data import _error_rate

    verdicts = {"qa": {"checked": 4, "passed": 3}}
    assert _error_rate(verdicts, {"checked": 20, "errors": 2}) == 0.1  # frames, not verdicts
    assert _error_rate(verdicts, {"checked": 0, "errors": 0}) == 0.25
    assert _error_rate({}, {"checked": 0, "errors": 0}) == 0.0
