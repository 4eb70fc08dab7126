"""Which submitted frames go to QA review, and how the evidence becomes an annotator score."""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.findings import Finding

DEFAULT_RATE = 0.05


@dataclass(frozen=True, order=True)
class WorkItem:
    """One frame an annotator labelled."""

    annotator: str
    sequence_id: str
    frame_index: int


def sample_frames(
    work: Iterable[WorkItem], rate: float = DEFAULT_RATE, seed: int = 0, min_per_annotator: int = 1
) -> dict[str, list[WorkItem]]:
    """A stratified sample of each annotator's frames, deterministic for ``seed``.

    Each annotator gets ``max(min_per_annotator, round(rate * their frames))`` frames, spread
    over their sequences in proportion to how many frames each holds (largest remainder), so a
    long sequence cannot hide the others. The input order does not change the sample.
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError("rate must be within [0, 1]")
    by_annotator: dict[str, dict[str, list[WorkItem]]] = defaultdict(lambda: defaultdict(list))
    for item in sorted(set(work)):
        by_annotator[item.annotator][item.sequence_id].append(item)
    return {
        name: _sample_one(name, strata, rate, seed, min_per_annotator)
        for name, strata in sorted(by_annotator.items())
    }


def _sample_one(
    name: str, strata: dict[str, list[WorkItem]], rate: float, seed: int, minimum: int
) -> list[WorkItem]:
    total = sum(len(v) for v in strata.values())
    want = min(total, max(minimum, round(rate * total)))
    quotas = _allocate(want, [len(strata[s]) for s in sorted(strata)])
    # Seed per annotator: one annotator's work does not shift another's sample.
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    picked: list[WorkItem] = []
    for seq, quota in zip(sorted(strata), quotas, strict=True):
        items = strata[seq]
        idx = rng.choice(len(items), size=quota, replace=False)
        picked.extend(items[int(i)] for i in idx)
    return sorted(picked)


def _allocate(want: int, sizes: Sequence[int]) -> list[int]:
    """Largest-remainder allocation of ``want`` over strata of the given sizes."""
    total = sum(sizes)
    exact = [want * s / total for s in sizes]
    quotas = [min(math.floor(e), s) for e, s in zip(exact, sizes, strict=True)]
    order = sorted(range(len(sizes)), key=lambda i: (quotas[i] - exact[i], -sizes[i], i))
    for i in order:
        if sum(quotas) >= want:
            break
        if quotas[i] < sizes[i]:
            quotas[i] += 1
    return quotas


def qa_pass_rate(results: Iterable[Sequence[Finding]], warning_cost: float = 0.1) -> float:
    """Mean score of QA'd items: 0 with a blocking finding, else 1 less ``warning_cost`` each."""
    scores = [
        0.0 if any(f.severity == "blocking" for f in found)
        else max(0.0, 1.0 - warning_cost * len(found))
        for found in results
    ]
    if not scores:
        raise ValueError("qa_pass_rate needs at least one QA result")
    return sum(scores) / len(scores)


DEFAULT_QUALITY_WEIGHTS = {"qa": 0.3, "agreement": 0.3, "gold": 0.4}


def quality_score(
    *, qa: float | None = None, agreement: float | None = None, gold: float | None = None,
    weights: dict[str, float] | None = None,
) -> float:
    """An annotator score in [0, 1] from QA-sample pass rate, agreement and gold accuracy.

    Missing evidence drops out and the other weights are renormalised, so a new annotator with
    no gold tasks yet is scored on what there is.
    """
    weights = weights or DEFAULT_QUALITY_WEIGHTS
    parts = {"qa": qa, "agreement": agreement, "gold": gold}
    used = {k: v for k, v in parts.items() if v is not None and weights.get(k, 0.0) > 0}
    if not used:
        raise ValueError("quality_score needs at least one of qa, agreement, gold")
    for k, v in used.items():
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{k} must be within [0, 1], got {v}")
    total = sum(weights[k] for k in used)
    return sum(weights[k] * v for k, v in used.items()) / total
