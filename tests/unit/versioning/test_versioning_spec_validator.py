"""The test server's OpenAPI validation still rejects what breaks the spec, call after call.

Its validators are compiled once and reused (``spec._CachedSchemaValidators``): the second and
later calls of an operation must find the same violations as the first.
"""

from __future__ import annotations

import json

import pytest

from tests.lakefs_server.spec import SpecRequest, SpecResponse, SpecValidator, build_request

AUTH = {"Authorization": "Basic QUtJQVRFU1Q6c2VjcmV0", "Host": "127.0.0.1:1",
        "Content-Type": "application/octet-stream"}
STATS = {"path": "a/b.json", "path_type": "object", "physical_address": "local://x",
         "checksum": "abc", "size_bytes": 3, "mtime": 1, "content_type": "text/plain",
         "metadata": {}}


@pytest.fixture(scope="module")
def validator() -> SpecValidator:
    return SpecValidator()


def _upload(v: SpecValidator, query: list[tuple[str, str]], headers: dict[str, str]) -> SpecRequest:
    path = "/repositories/repo1/branches/main/objects"
    routed = v.route(path)
    assert routed is not None
    assert routed[0] == "/repositories/{repository}/branches/{branch}/objects"
    return build_request("POST", "http://127.0.0.1:1", routed[0], path, routed[1], query,
                         headers, b"abc")


def test_requests_are_checked_on_every_call(validator: SpecValidator) -> None:
    good = _upload(validator, [("path", "a/b.json")], AUTH)
    no_path = _upload(validator, [], AUTH)
    no_auth = _upload(validator, [("path", "a/b.json")],
                      {k: v for k, v in AUTH.items() if k != "Authorization"})
    for _ in range(3):
        assert validator.request_errors(good) == []
        assert any("path" in e for e in validator.request_errors(no_path))
        assert any("Security" in e for e in validator.request_errors(no_auth))


def test_responses_are_checked_on_every_call(validator: SpecValidator) -> None:
    request = _upload(validator, [("path", "a/b.json")], AUTH)
    bad = {k: v for k, v in STATS.items() if k != "checksum"}
    wrong_type = {**STATS, "size_bytes": "three"}
    for _ in range(3):
        ok = SpecResponse(201, "application/json", json.dumps(STATS).encode())
        assert validator.response_errors(request, ok) == []
        for body in (bad, wrong_type):
            response = SpecResponse(201, "application/json", json.dumps(body).encode())
            assert validator.response_errors(request, response) != []
