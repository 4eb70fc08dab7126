"""Validation of every request and response against lakeFS's OpenAPI spec (vendored here).

``swagger.yml`` is lakeFS's ``api/swagger.yml`` (Apache-2.0, ``LICENSE-lakeFS.txt``). The
server matches each request to a path template of the spec itself, so openapi-core validates
the request (parameters, security, body) and the response (status, content type, schema) of
exactly that operation.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import V30RequestValidator
from openapi_core.validation.response.exceptions import MissingData
from openapi_core.validation.response.validators import V30ResponseValidator
from openapi_core.validation.schemas.factories import SchemaValidatorsFactory
from openapi_core.validation.schemas.validators import SchemaValidator
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).with_name("swagger.yml")
SERVER_PREFIX = "/api/v1"


@dataclass
class SpecRequest:
    """An HTTP request in the shape openapi-core's Request + SupportsPathPattern expect."""

    method: str
    host_url: str
    path: str
    path_pattern: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str


@dataclass
class SpecResponse:
    """An HTTP response in the shape openapi-core's Response protocol expects."""

    status_code: int
    content_type: str
    data: bytes | None
    headers: Headers = field(default_factory=Headers)


@dataclass(frozen=True)
class Route:
    """One spec path template compiled to a regex."""

    template: str
    regex: re.Pattern[str]


class SpecValidator:
    """Loads the spec once; routes paths to templates; validates requests and responses."""

    def __init__(self, spec_path: Path = SPEC_PATH) -> None:
        # lakeFS's spec is OpenAPI 3.0; each instance gets its own validator caches.
        config = Config(request_validator_cls=_caching(V30RequestValidator),
                        response_validator_cls=_caching(V30ResponseValidator))
        self.openapi = OpenAPI.from_file_path(str(spec_path), config=config)
        self._lock = threading.Lock()
        paths = self.openapi.spec / "paths"
        # Literal segments win over parameters (``/refs/dump`` before ``/refs/{ref}``).
        self.routes = sorted((_compile(str(t)) for t in paths.keys()),
                             key=lambda r: r.template.count("{"))
        # A client calls few distinct paths (the object path is a query parameter): remember
        # each path's route instead of trying ~150 regexes per request.
        self._routed: dict[str, tuple[str, dict[str, str]] | None] = {}

    def route(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The template matching ``path`` (without the /api/v1 prefix) and its raw parameters."""
        if path not in self._routed:
            if len(self._routed) > 10_000:
                self._routed.clear()
            self._routed[path] = self._match(path)
        found = self._routed[path]
        return None if found is None else (found[0], dict(found[1]))

    def _match(self, path: str) -> tuple[str, dict[str, str]] | None:
        for r in self.routes:
            m = r.regex.fullmatch(path)
            if m:
                return r.template, m.groupdict()
        return None

    def request_errors(self, request: SpecRequest) -> list[str]:
        """Spec violations of a request (empty when valid)."""
        with self._quiet():
            return [str(e) for e in self.openapi.iter_request_errors(request)]

    def response_errors(self, request: SpecRequest, response: SpecResponse) -> list[str]:
        """Spec violations of a response to ``request`` (empty when valid)."""
        with self._quiet():
            errors = list(self.openapi.iter_response_errors(request, response))
        # openapi-core reports an empty body as missing data, but an empty object is a valid
        # binary string (getObject of a zero-byte object): not a violation.
        empty_binary = response.data == b"" and response.content_type.startswith(
            "application/octet-stream")
        return [str(e) for e in errors if not (empty_binary and isinstance(e, MissingData))]

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        # lakeFS's spec uses allowEmptyValue (logCommits), which openapi-core warns about on
        # every call; the suite turns warnings into errors. The lock keeps the swap of the
        # global warning filters from interleaving between server threads.
        with self._lock, warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Use of allowEmptyValue", DeprecationWarning)
            yield


class _CachedSchemaValidators(SchemaValidatorsFactory):
    """Compiles each schema's validator once; openapi-core compiles a new one on every call.

    A compiled validator holds no per-call state, so reusing it checks exactly the same
    rules; only calls with custom format validators (none here) bypass the cache.
    """

    def __init__(self, base: SchemaValidatorsFactory) -> None:
        super().__init__(base.schema_validator_cls, base.format_checker)
        self._compiled: dict[tuple[SchemaPath, bool, bool], SchemaValidator] = {}

    def create(self, spec: SchemaPath, schema: SchemaPath,
               format_validators: Any = None, extra_format_validators: Any = None,
               forbid_unspecified_additional_properties: bool = False,
               enforce_properties_required: bool = False) -> SchemaValidator:
        """The validator of ``schema``, compiled on first use."""
        args = (spec, schema, format_validators, extra_format_validators,
                forbid_unspecified_additional_properties, enforce_properties_required)
        if format_validators is not None or extra_format_validators is not None:
            return super().create(*args)
        key = (schema, forbid_unspecified_additional_properties, enforce_properties_required)
        if key not in self._compiled:
            self._compiled[key] = super().create(*args)
        return self._compiled[key]


def _caching(validator_cls: type[Any]) -> type[Any]:
    """A subclass of an openapi-core validator class that uses a _CachedSchemaValidators."""
    factory = _CachedSchemaValidators(validator_cls.schema_validators_factory)
    return type(validator_cls.__name__, (validator_cls,), {"schema_validators_factory": factory})


def build_request(method: str, host_url: str, template: str, path: str,
                  path_params: Mapping[str, str], query: list[tuple[str, str]],
                  headers: Mapping[str, str], body: bytes | None) -> SpecRequest:
    """A SpecRequest from the parts of a raw HTTP request."""
    header = Headers(list(headers.items()))
    return SpecRequest(
        method=method.lower(), host_url=host_url, path=SERVER_PREFIX + path,
        path_pattern=SERVER_PREFIX + template,
        parameters=RequestParameters(query=ImmutableMultiDict(query), header=header,
                                     cookie=ImmutableMultiDict(), path=dict(path_params)),
        body=body or None,
        content_type=(header.get("Content-Type") or "application/octet-stream").lower(),
    )


def _compile(template: str) -> Route:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return Route(template, re.compile(pattern))


def error_body(message: str, **extra: Any) -> dict[str, Any]:
    """lakeFS's Error schema."""
    return {"message": message, **extra}
