"""One-shot bootstrap of a deployed stack: S3 bucket, lakeFS admin user, lakeFS repository.

Reads the same ROADLABEL_* variables as every roadlabel process (roadlabel/config.py), so it
configures exactly the services the scheduler and workers will use. Every step is idempotent:
an existing bucket, an already set-up lakeFS or an existing repository is left as it is.
The images carry this file as /opt/venv/share/roadlabel/bootstrap.py; compose's ``init``
service and the Kubernetes ``roadlabel-bootstrap`` Job run it before ``roadlabel db migrate``.

Usage: python bootstrap.py [--lakefs-admin NAME] [--attempts N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from roadlabel import config
from roadlabel.errors import UserError
from roadlabel.objectstore import MinioStore
from roadlabel.versioning import open_versioning


def _retry(what: str, step: Callable[[], None], attempts: int) -> None:
    # Services report healthy a little before they accept every request: retry, bounded.
    for attempt in range(1, attempts + 1):
        try:
            step()
            print(f"bootstrap: {what}: ok", flush=True)
            return
        except Exception as exc:
            if attempt == attempts:
                raise
            print(f"bootstrap: {what}: {exc!r}; retry {attempt}/{attempts}", flush=True)
            time.sleep(2)


def setup_lakefs_admin(settings: config.LakeFSSettings, admin: str) -> None:
    """Create lakeFS's first admin user with the configured key pair, unless lakeFS is set up."""
    # The SDK loads slowly: import it only here.
    from lakefs_sdk.client import LakeFSClient
    from lakefs_sdk.configuration import Configuration
    from lakefs_sdk.models.setup import Setup

    client = LakeFSClient(Configuration(host=settings.endpoint))  # type: ignore[no-untyped-call]
    if client.internal_api.get_setup_state().state == "initialized":
        return
    key = {"access_key_id": settings.access_key, "secret_access_key": settings.secret_key}
    client.internal_api.setup(Setup.from_dict({"username": admin, "key": key}))


def main() -> int:
    """Run every bootstrap step; exit 2 on a configuration error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lakefs-admin", default="admin", help="lakeFS admin user name")
    parser.add_argument("--attempts", type=int, default=30, help="tries per step, 2 s apart")
    args = parser.parse_args()
    try:
        settings = config.load()
        if settings.s3.endpoint is None or settings.lakefs is None:
            raise UserError(
                "ROADLABEL_S3_ENDPOINT and ROADLABEL_LAKEFS_ENDPOINT must be set",
                "bootstrap configures deployed services, not the embedded ones",
            )
    except UserError as exc:
        print(exc.line(), file=sys.stderr)
        return 2
    lakefs = settings.lakefs
    _retry(f"bucket {settings.s3.bucket}", MinioStore(settings.s3).ensure_bucket, args.attempts)
    _retry("lakeFS admin", lambda: setup_lakefs_admin(lakefs, args.lakefs_admin), args.attempts)
    _retry(
        f"lakeFS repository {lakefs.repository}",
        open_versioning(settings).ensure_repository,
        args.attempts,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
