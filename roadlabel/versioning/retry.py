"""Retrying transient versioning failures with capped exponential backoff and full jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from roadlabel.versioning.base import TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait; ``sleep`` and ``rand`` are injectable for tests."""

    attempts: int = 6
    base_s: float = 0.2
    cap_s: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)) (AWS architecture blog)."""
        return self.rand() * min(self.cap_s, self.base_s * 2.0 ** attempt)


def with_retries(action: Callable[[], T], policy: RetryPolicy,
                 recover: Callable[[], T | None] | None = None) -> T:
    """Run ``action``, retrying TransientError; ``recover`` runs before each retry.

    ``recover`` answers "did the failed attempt secretly succeed?": when it returns a value,
    that value is the result and ``action`` is not repeated (a commit whose response was lost
    must not be committed twice).
    """
    failures = 0
    check_first = False
    while True:
        try:
            if check_first and recover is not None:
                found = recover()  # a transient failure here is retried like the action
                if found is not None:
                    return found
            return action()
        except TransientError:
            failures += 1
            if failures >= policy.attempts:
                raise
            check_first = True
        policy.sleep(policy.delay(failures - 1))
