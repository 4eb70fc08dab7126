"""Options: validation, output size, calibration files, and what changes object keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roadlabel.errors import ConfigError
from workers.ingest.options import IngestOptions, load_calibration, output_size


def test_output_size_keeps_aspect_with_even_sides() -> None:
    assert output_size(1920, 1080, None, None) == (1920, 1080)
    assert output_size(1920, 1080, 640, None) == (640, 360)
    assert output_size(960, 540, None, 101) == (180, 101)
    assert output_size(1920, 1080, 320, 320) == (320, 320)


@pytest.mark.parametrize("kwargs", [
    {"sample_hz": 0}, {"image_codec": "webp"}, {"jpeg_q": 1}, {"width": 8}, {"span_seconds": 0},
])
def test_invalid_options_are_config_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        IngestOptions(**kwargs)  # type: ignore[arg-type]


def test_output_digest_changes_with_output_settings_only() -> None:
    base = IngestOptions()
    assert base.output_digest() == IngestOptions(segment_length=20).output_digest()
    assert base.output_digest() != IngestOptions(sample_hz=5).output_digest()
    assert base.output_digest() != IngestOptions(jpeg_q=5).output_digest()


def test_calibration_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    c2e = [float(i) for i in range(16)]
    path.write_text(json.dumps({"fx": 1000, "fy": 1001, "cx": 480, "cy": 270,
                                "width": 960, "height": 540, "camera_to_ego": c2e}))
    cal = load_calibration(path)
    assert (cal.fx, cal.fy, cal.width, cal.camera_to_ego) == (1000.0, 1001.0, 960, tuple(c2e))


@pytest.mark.parametrize("content", ["not json", '{"fx": 1}', '{"fx":1,"fy":1,"cx":1,"cy":1,'
                                     '"width":2,"height":2,"camera_to_ego":[1,2]}'])
def test_bad_calibration_files_are_config_errors(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cal.json"
    path.write_text(content)
    with pytest.raises(ConfigError):
        load_calibration(path)


def test_missing_calibration_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_calibration(tmp_path / "absent.json")
