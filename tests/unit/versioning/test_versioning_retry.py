"""Retries with jitter, and the recover hook that prevents double commits."""

from __future__ import annotations

import pytest

from roadlabel.versioning.base import TransientError, VersioningError
from roadlabel.versioning.retry import RetryPolicy, with_retries


class Flaky:
    """Fails ``n`` times with TransientError, then returns its call count."""

    def __init__(self, n: int) -> None:
        self.n, self.calls = n, 0

    def __call__(self) -> int:
        self.calls += 1
        if self.calls <= self.n:
            raise TransientError("commit", "HTTP 503")
        return self.calls


def test_backoff_is_exponential_capped_and_jittered() -> None:
    waits: list[float] = []
    policy = RetryPolicy(attempts=6, base_s=1.0, cap_s=5.0, sleep=waits.append,
                         rand=lambda: 0.5)
    assert with_retries(Flaky(5), policy) == 6
    assert waits == [0.5, 1.0, 2.0, 2.5, 2.5]


def test_gives_up_after_the_last_attempt() -> None:
    action = Flaky(10)
    with pytest.raises(TransientError):
        with_retries(action, RetryPolicy(attempts=3, sleep=lambda s: None))
    assert action.calls == 3


def test_other_errors_are_not_retried() -> None:
    def broken() -> int:
        raise VersioningError("bad", "fix it")

    with pytest.raises(VersioningError):
        with_retries(broken, RetryPolicy(sleep=lambda s: pytest.fail("slept")))


def test_recover_result_replaces_the_retry() -> None:
    action = Flaky(1)
    assert with_retries(action, RetryPolicy(sleep=lambda s: None), recover=lambda: 42) == 42
    assert action.calls == 1  # the secretly successful first attempt is not repeated


def test_recover_that_fails_transiently_is_retried_before_the_action() -> None:
    checks = Flaky(1)
    action = Flaky(1)

    def recover() -> int | None:
        checks()  # first call fails transiently, second finds nothing
        return None

    result = with_retries(action, RetryPolicy(sleep=lambda s: None), recover=recover)
    assert result == 2 and checks.calls == 2 and action.calls == 2
