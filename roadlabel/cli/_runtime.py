"""What several subcommands share: settings, the stack, a pool, asyncio entry."""

from __future__ import annotations

import asyncio
import logging
import os
import warnings
from collections.abc import Coroutine
from typing import Any, TypeVar

from roadlabel import config

T = TypeVar("T")


def quiet() -> None:
    """Keep library chatter off the user's terminal."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def settings() -> config.Settings:
    """Settings from the environment (raises ConfigError on malformed values)."""
    quiet()
    return config.load()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine as the process's event loop."""
    return asyncio.run(coro)
