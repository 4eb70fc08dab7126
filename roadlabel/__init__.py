"""roadlabel: shared types, configuration and adapters used by workers, scheduler and qa."""

from __future__ import annotations

__version__ = "0.1.0"
