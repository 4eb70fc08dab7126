"""What a Ray failure says to the user: the last line of its cause, not a remote traceback."""

from __future__ import annotations


def ray_reason(exc: BaseException) -> str:
    """One line from a Ray error (a task's or actor's exception arrives as its cause)."""
    cause = getattr(exc, "cause", None)
    text = str(cause if cause is not None else exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
