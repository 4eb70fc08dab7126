"""What makes two submissions the same request, for idempotency keys.

A key replays a submission only when the retry carries the same request; rl_submit compares
this digest (and the lease) with the one stored with the submission and refuses any other
reuse of the key, so that a reused key can never drop new work.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def request_digest(version: int, document: dict[str, Any] | None, verdict: str,
                   comments: list[str]) -> str:
    """SHA-256 of a submission's content, independent of JSON key order.

    Active seconds are left out: they bill time, and a client may count on while it retries.
    """
    content = {"document_version": version, "document": document, "verdict": verdict,
               "comments": comments}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(canonical.encode()).hexdigest()
