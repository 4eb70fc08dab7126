"""A loopback lakeFS API server for tests, validating every call against lakeFS's OpenAPI spec.

Test code only: never the product's default. ``swagger.yml`` and ``LICENSE-lakeFS.txt`` are
vendored from treeverse/lakeFS (Apache-2.0).
"""

from __future__ import annotations

from tests.lakefs_server.server import Faults, LakeFSTestServer

__all__ = ["Faults", "LakeFSTestServer"]
