"""export_all places every format under exports/<format>/ as LAYOUT.md says."""

from __future__ import annotations

from roadlabel.exports import FORMATS, export_all
from tests.unit.exports.export_samples import CALS, documents


def test_every_format_writes_under_its_folder() -> None:
    files = export_all(documents(), CALS)
    folders = {p.split("/")[1] for p in files}
    assert folders == set(FORMATS)
    assert all(p.startswith("exports/") and data for p, data in files.items()
               if not p.endswith(".txt"))


def test_a_subset_of_formats() -> None:
    files = export_all(documents(), CALS, ["coco"])
    assert list(files) == ["exports/coco/instances.json"]
