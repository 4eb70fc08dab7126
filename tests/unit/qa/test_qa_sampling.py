"""QA sampling (stratified, deterministic) and the annotator quality score."""

from __future__ import annotations

import random

import pytest

from qa import Finding, WorkItem, qa_pass_rate, quality_score, sample_frames


def work(annotator: str, sizes: dict[str, int]) -> list[WorkItem]:
    return [WorkItem(annotator, seq, i) for seq, n in sizes.items() for i in range(n)]


def test_rate_and_minimum_per_annotator() -> None:
    items = work("ann", {"s1": 200}) + work("bob", {"s2": 3})
    sample = sample_frames(items)
    assert len(sample["ann"]) == 10  # 5 % of 200
    assert len(sample["bob"]) == 1  # at least one frame for anyone with work
    assert set(sample["ann"]) <= set(items)


def test_sample_is_stratified_by_sequence() -> None:
    sample = sample_frames(work("ann", {"long": 150, "short": 50}), rate=0.05)["ann"]
    per_seq = {s: sum(1 for w in sample if w.sequence_id == s) for s in ("long", "short")}
    # 10 frames: exact shares 7.5 and 2.5, largest remainder gives the tie to the long one.
    assert per_seq == {"long": 8, "short": 2}


def test_sample_is_deterministic_and_order_independent() -> None:
    items = work("ann", {"s1": 100, "s2": 60}) + work("bob", {"s1": 80})
    shuffled = list(items)
    random.Random(3).shuffle(shuffled)
    assert sample_frames(items, seed=11) == sample_frames(shuffled, seed=11)
    assert sample_frames(items, seed=11) != sample_frames(items, seed=12)
    # One annotator's sample does not depend on who else worked.
    alone = sample_frames(work("ann", {"s1": 100, "s2": 60}), seed=11)
    assert alone["ann"] == sample_frames(items, seed=11)["ann"]


def test_bad_rate_is_rejected() -> None:
    with pytest.raises(ValueError):
        sample_frames(work("ann", {"s": 5}), rate=1.5)


def test_qa_pass_rate() -> None:
    block = Finding("overlap", "blocking", (1,), ("a", "b"), 0.3, 0.1, "m")
    warn = Finding("coverage", "warning", (2,), ("a",), 1.0, 2.0, "m")
    # Items score 1 (clean), 0 (blocking), 1 - 2 * 0.1 = 0.8 (two warnings): mean 0.6.
    assert qa_pass_rate([[], [block, warn], [warn, warn]]) == pytest.approx(0.6)


def test_quality_score_renormalises_missing_evidence() -> None:
    assert quality_score(qa=1.0, agreement=1.0, gold=1.0) == pytest.approx(1.0)
    # (0.3 * 1.0 + 0.4 * 0.5) / (0.3 + 0.4)
    assert quality_score(qa=1.0, gold=0.5) == pytest.approx(0.5 / 0.7)
    assert quality_score(agreement=0.25) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        quality_score()
    with pytest.raises(ValueError):
        quality_score(gold=1.5)
