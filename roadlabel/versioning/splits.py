"""Train / val / test assignment by sequence, stable from one snapshot to the next.

A sequence's split depends only on its id and the ratios: sha256(sequence_id) read as a
number in [0, 1) is compared with the cumulative ratios. Frames of one sequence never land in
two splits (neighbouring frames are near-duplicates), and adding sequences never moves an
existing one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from roadlabel.errors import ConfigError

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SplitRatios:
    """Fractions of sequences per split; they must add up to 1."""

    train: float = 0.7
    val: float = 0.2
    test: float = 0.1

    def __post_init__(self) -> None:
        parts = (self.train, self.val, self.test)
        if any(p < 0 for p in parts) or abs(sum(parts) - 1.0) > 1e-9:
            raise ConfigError(f"split ratios {parts} do not add up to 1",
                              "give three non-negative numbers like 70/20/10")

    @staticmethod
    def parse(text: str) -> SplitRatios:
        """Parse ``70/20/10`` (percent or fractions, any positive scale)."""
        try:
            parts = [float(p) for p in text.split("/")]
        except ValueError:
            parts = []
        if len(parts) != 3 or sum(parts) <= 0 or min(parts) < 0:
            raise ConfigError(f"split {text!r} is not three numbers like 70/20/10",
                              "write train/val/test, e.g. 70/20/10")
        total = sum(parts)
        return SplitRatios(*(p / total for p in parts))


def split_of(sequence_id: str, ratios: SplitRatios) -> str:
    """The split a sequence belongs to."""
    digest = hashlib.sha256(sequence_id.encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2.0 ** 64
    if u < ratios.train:
        return "train"
    return "val" if u < ratios.train + ratios.val else "test"


def assign(sequence_ids: Iterable[str], ratios: SplitRatios) -> dict[str, list[str]]:
    """split -> sorted sequence ids."""
    out: dict[str, list[str]] = {s: [] for s in SPLITS}
    for seq in sorted(set(sequence_ids)):
        out[split_of(seq, ratios)].append(seq)
    return out
