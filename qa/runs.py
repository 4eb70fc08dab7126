"""Grouping of per-frame events into runs of consecutive frames, vectorised."""

from __future__ import annotations

import numpy as np

from qa.arrays import IntArray


def runs(key: IntArray, pos: IntArray) -> list[IntArray]:
    """Indices of events grouped by ``key`` into runs of consecutive frame positions.

    One finding per run keeps a problem that lasts 80 frames (or a document with every box
    stacked on another) to a handful of findings, and keeps Python loops off the hot path.
    """
    if key.shape[0] == 0:
        return []
    order = np.lexsort((pos, key))
    k, p = key[order], pos[order]
    breaks = np.flatnonzero((k[1:] != k[:-1]) | (p[1:] - p[:-1] > 1)) + 1
    return np.split(order, breaks)
