"""Splits by sequence: stable, ratio-respecting, never split a sequence."""

from __future__ import annotations

import pytest

from roadlabel.errors import ConfigError
from roadlabel.versioning.splits import SplitRatios, assign, split_of


def test_assignment_depends_only_on_the_sequence_id() -> None:
    ids = [f"seq-{i:04d}" for i in range(2000)]
    first = assign(ids, SplitRatios())
    more = assign([*ids, *(f"new-{i}" for i in range(500))], SplitRatios())
    for split, seqs in first.items():
        assert set(seqs) <= set(more[split])  # adding sequences moves none


def test_shares_follow_the_ratios() -> None:
    ids = [f"seq-{i:05d}" for i in range(10000)]
    counts = {k: len(v) for k, v in assign(ids, SplitRatios()).items()}
    assert counts["train"] == pytest.approx(7000, abs=200)
    assert counts["val"] == pytest.approx(2000, abs=150)
    assert counts["test"] == pytest.approx(1000, abs=100)


def test_each_sequence_is_in_exactly_one_split() -> None:
    result = assign(["a", "b", "a", "c"], SplitRatios.parse("50/25/25"))
    flat = [s for seqs in result.values() for s in seqs]
    assert sorted(flat) == ["a", "b", "c"]
    assert split_of("a", SplitRatios(1.0, 0.0, 0.0)) == "train"


@pytest.mark.parametrize("text", ["70/20", "a/b/c", "0/0/0", "-1/1/1"])
def test_bad_split_text_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        SplitRatios.parse(text)
