"""Run the lakeFS test server as its own process (used by loadtests/bench_versioning.py).

``python -m tests.lakefs_server [--no-validate]`` prints ``<endpoint> <access> <secret>`` on
one line, then serves until stdin closes.
"""

from __future__ import annotations

import argparse
import sys
import time

from tests.lakefs_server.server import LakeFSTestServer


def main() -> None:
    """Serve until stdin closes; report calls, validation and CPU seconds on stderr."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-validate", action="store_true")
    args = parser.parse_args()
    with LakeFSTestServer(validate=not args.no_validate) as server:
        print(server.endpoint, server.access_key, server.secret_key, flush=True)
        sys.stdin.read()
        print(f"calls={sum(server.calls.values())} validation_s={server.validation_s:.3f} "
              f"violations={len(server.violations)} cpu_s={time.process_time():.3f}",
              file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
