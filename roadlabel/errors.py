"""Errors a user can act on: each carries what is wrong and what to do."""

from __future__ import annotations


class UserError(Exception):
    """A failure caused by input or environment, reported as one line without a traceback."""

    def __init__(self, what: str, todo: str) -> None:
        super().__init__(f"{what}; {todo}")
        self.what = what
        self.todo = todo

    def line(self) -> str:
        """The one-line message shown to the user."""
        return f"error: {self.what}; {self.todo}"


class ConfigError(UserError):
    """A malformed or missing configuration value."""


class ServiceUnavailable(UserError):
    """An external service (database, object store, lakeFS, Ray) cannot be reached."""


class ObjectNotFound(UserError):
    """An object the caller named does not exist in the object store."""
