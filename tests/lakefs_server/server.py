"""A loopback lakeFS API server for tests: stdlib http.server in a thread, port 0.

Implements the subset of the lakeFS API that ``roadlabel.versioning.lakefs_store`` calls, with
the semantics of ``model.LakeFSModel``. Every request and every response is validated against
the vendored lakeFS OpenAPI spec; violations are kept in ``server.violations`` (a test fixture
asserts it stays empty) and an invalid request is answered 400 like lakeFS would.

``validate=False`` exists only for the benchmark that measures what validation costs.

Faults for tests (``server.faults.add(operation_id, kind, times)``):
``"503"`` / ``"429"`` answer with that status without doing anything; ``"reset"`` resets the
connection before doing anything; ``"lose_response"`` does the operation, then resets the
connection instead of answering (the client cannot know it succeeded).
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.lakefs_server.model import ApiError, LakeFSModel, Repo
from tests.lakefs_server.spec import (
    SERVER_PREFIX,
    SpecRequest,
    SpecResponse,
    SpecValidator,
    build_request,
    error_body,
)

Reply = tuple[int, Any, str]  # status, body (JSON-able or bytes), content type
JSON = "application/json"


@dataclass
class Call:
    """What a handler receives."""

    model: LakeFSModel
    params: dict[str, str]
    query: dict[str, str]
    body: bytes
    content_type: str

    def json(self) -> dict[str, Any]:
        """The JSON request body."""
        return json.loads(self.body or b"{}")  # type: ignore[no-any-return]

    def repo(self) -> Repo:
        """The repository named in the path."""
        return self.model.repo(self.params["repository"])


@dataclass
class Faults:
    """Faults to inject, by operation id, consumed one per matching request."""

    planned: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, operation_id: str, kind: str, times: int = 1) -> None:
        """Inject ``kind`` into the next ``times`` calls of ``operation_id``."""
        assert kind in ("503", "429", "reset", "lose_response"), kind
        with self.lock:
            self.planned.setdefault(operation_id, []).extend([kind] * times)

    def take(self, operation_id: str) -> str | None:
        """The fault for this call, if any."""
        with self.lock:
            queue = self.planned.get(operation_id)
            return queue.pop(0) if queue else None


class LakeFSTestServer:
    """Start with ``start()`` (or as a context manager); ``endpoint`` is the base URL."""

    def __init__(self, access_key: str = "AKIATEST", secret_key: str = "secret",
                 validator: SpecValidator | None = None, validate: bool = True) -> None:
        self.model = LakeFSModel()
        self.validator = validator or SpecValidator()
        self.validate = validate  # False only for benchmarks that measure the validation cost
        self.validation_s = 0.0
        self.faults = Faults()
        self.calls: Counter[str] = Counter()
        self.violations: list[str] = []
        self.auth = "Basic " + base64.b64encode(f"{access_key}:{secret_key}".encode()).decode()
        self.access_key, self.secret_key = access_key, secret_key
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """Base URL of the API (with /api/v1)."""
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{SERVER_PREFIX}"

    def start(self) -> LakeFSTestServer:
        """Listen on 127.0.0.1, a free port, in a daemon thread."""
        handler = type("Handler", (_Handler,), {"server_ref": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="lakefs-test",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LakeFSTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    server_ref: LakeFSTestServer
    protocol_version = "HTTP/1.1"  # keep-alive, as lakeFS

    def setup(self) -> None:
        super().setup()
        # Without this, Nagle's algorithm and delayed ACKs add ~40 ms to every keep-alive call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``server.calls`` instead."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _handle(self) -> None:
        srv = self.server_ref
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        path = url.path[len(SERVER_PREFIX):] if url.path.startswith(SERVER_PREFIX) else ""
        routed = srv.validator.route(path)
        op = _OPERATIONS.get((self.command, routed[0])) if routed else None
        if routed is None or op is None:
            self._send(404, error_body(f"no route {self.command} {url.path}"), JSON)
            return
        template, raw = routed
        params = {k: unquote(v) for k, v in raw.items()}
        query = parse_qsl(url.query, keep_blank_values=True)
        request = build_request(self.command, f"http://{self.headers.get('Host')}", template,
                                url.path[len(SERVER_PREFIX):], params, query,
                                dict(self.headers.items()), body)
        reply = self._dispatch(op, request, params, dict(query), body)
        if reply is not None:
            self._validated_send(request, *reply)

    def _dispatch(self, op: _Operation, request: SpecRequest, params: dict[str, str],
                  query: dict[str, str], body: bytes) -> Reply | None:
        srv = self.server_ref
        srv.calls[op.operation_id] += 1
        errors = self._check(lambda: srv.validator.request_errors(request))
        if errors:
            srv.violations.extend(f"request {op.operation_id}: {e}" for e in errors)
            return 400, error_body("request does not follow the API: " + errors[0]), JSON
        if self.headers.get("Authorization") != srv.auth:
            return 401, error_body("error authenticating request"), JSON
        fault = srv.faults.take(op.operation_id)
        if fault in ("503", "429"):
            return int(fault), error_body("injected fault") if fault == "503" else b"", JSON
        if fault == "reset":
            self._reset()
            return None
        call = Call(srv.model, params, query, body, request.content_type)
        try:
            with srv.model.lock:
                reply = op.handler(call)
        except ApiError as exc:
            reply = exc.status, error_body(exc.message), JSON
        if fault == "lose_response":
            self._reset()
            return None
        return reply

    def _validated_send(self, request: SpecRequest, status: int, body: Any, ctype: str) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        errors = self._check(lambda: self.server_ref.validator.response_errors(
            request, SpecResponse(status, ctype, data)))
        self.server_ref.violations.extend(f"response {request.path}: {e}" for e in errors)
        self._send(status, data, ctype)

    def _check(self, validate: Callable[[], list[str]]) -> list[str]:
        srv = self.server_ref
        if not srv.validate:
            return []
        # CPU time of this thread: waiting for the validator's lock is not validation.
        start = time.thread_time()
        errors = validate()
        srv.validation_s += time.thread_time() - start
        return errors

    def _send(self, status: int, body: Any, ctype: str) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _reset(self) -> None:
        """Drop the connection with a TCP reset, as a crashed proxy would."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


@dataclass(frozen=True)
class _Operation:
    operation_id: str
    handler: Callable[[Call], Reply]


def _paginate(items: list[tuple[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """lakeFS pagination over (key, item) pairs sorted by key."""
    after = query.get("after", "")
    amount = int(query.get("amount", "100"))
    amount = 1000 if amount < 0 else min(amount, 1000)
    rest = [(k, v) for k, v in items if k > after]
    page = rest[:amount]
    return {"pagination": {"has_more": len(rest) > amount, "max_per_page": 1000,
                           "results": len(page), "next_offset": page[-1][0] if page else ""},
            "results": [v for _, v in page]}


def _truthy(query: dict[str, str], name: str) -> bool:
    return query.get(name, "false").lower() == "true"


def _multipart_content(body: bytes, content_type: str) -> bytes:
    """The part named ``content`` of a multipart/form-data body."""
    boundary = content_type.split("boundary=", 1)[1].split(";")[0].strip('"').encode()
    for part in body.split(b"--" + boundary)[1:-1]:
        head, _, payload = part.partition(b"\r\n\r\n")
        if b'name="content"' in head:
            return payload[:-2] if payload.endswith(b"\r\n") else payload
    raise ApiError(400, "missing content part")


def _get_repository(c: Call) -> Reply:
    return 200, c.repo().as_json(), JSON


def _create_repository(c: Call) -> Reply:
    d = c.json()
    repo = c.model.create_repository(d["name"], d["storage_namespace"],
                                     d.get("default_branch") or "main")
    return 201, repo.as_json(), JSON


def _list_branches(c: Call) -> Reply:
    repo, prefix = c.repo(), c.query.get("prefix", "")
    items = [(n, {"id": n, "commit_id": b.head}) for n, b in sorted(repo.branches.items())
             if n.startswith(prefix)]
    return 200, _paginate(items, c.query), JSON


def _create_branch(c: Call) -> Reply:
    d = c.json()
    return 201, c.model.create_branch(c.repo(), d["name"], d["source"]).encode(), "text/html"


def _get_branch(c: Call) -> Reply:
    name = c.params["branch"]
    return 200, {"id": name, "commit_id": c.model.branch(c.repo(), name).head}, JSON


def _reset_branch(c: Call) -> Reply:
    if c.json().get("type") != "reset":
        raise ApiError(400, "only type reset is modelled here")
    c.model.reset(c.repo(), c.params["branch"])
    return 204, b"", JSON


def _upload_object(c: Call) -> Reply:
    data = (_multipart_content(c.body, c.content_type)
            if c.content_type.startswith("multipart/") else c.body)
    entry = c.model.stage(c.repo(), c.params["branch"], c.query["path"], data)
    return 201, entry.stats(c.query["path"]), JSON


def _commit(c: Call) -> Reply:
    d = c.json()
    commit = c.model.commit(c.repo(), c.params["branch"], d["message"], d.get("metadata") or {},
                            bool(d.get("allow_empty")))
    return 201, commit.as_json(), JSON


def _get_commit(c: Call) -> Reply:
    return 200, c.model.resolve(c.repo(), c.params["commitId"]).as_json(), JSON


def _log_commits(c: Call) -> Reply:
    commits = c.model.log(c.repo(), c.params["ref"])
    # lakeFS pages the log by position; the position of a commit is its key here.
    items = [(f"{i:012d}", x.as_json()) for i, x in enumerate(commits)]
    page = _paginate(items, c.query)
    return 200, page, JSON


def _diff_refs(c: Call) -> Reply:
    three_dot = c.query.get("type", "three_dot") == "three_dot"
    prefix = c.query.get("prefix", "")
    diff = c.model.diff(c.repo(), c.params["leftRef"], c.params["rightRef"], three_dot)
    if not _truthy(c.query, "include_right_stats"):
        diff = [{k: v for k, v in d.items() if k != "right"} for d in diff]
    items = [(d["path"], d) for d in diff if d["path"].startswith(prefix)]
    return 200, _paginate(items, c.query), JSON


def _diff_branch(c: Call) -> Reply:
    branch = c.model.branch(c.repo(), c.params["branch"])
    items = [(p, {"type": "removed" if e is None else "changed", "path": p,
                  "path_type": "object"}) for p, e in sorted(branch.staging.items())]
    return 200, _paginate(items, c.query), JSON


def _find_merge_base(c: Call) -> Reply:
    repo = c.repo()
    src = c.model.resolve(repo, c.params["sourceRef"])
    dst = c.model.resolve(repo, c.params["destinationBranch"])
    base = c.model.merge_base(repo, src.id, dst.id)
    return 200, {"source_commit_id": src.id, "destination_commit_id": dst.id,
                 "base_commit_id": base.id}, JSON


def _merge(c: Call) -> Reply:
    d = c.json()
    src, dst = c.params["sourceRef"], c.params["destinationBranch"]
    try:
        commit = c.model.merge(c.repo(), src, dst, d.get("message") or f"Merge '{src}' into "
                               f"'{dst}'", d.get("metadata") or {}, d.get("strategy"),
                               bool(d.get("allow_empty")))
    except ApiError as exc:
        if exc.status != 409:
            raise
        # The 409 schema is MergeResult (deprecated in favour of Error): send both fields.
        return 409, {"message": exc.message, "reference": ""}, JSON
    return 200, {"reference": commit.id}, JSON


def _create_tag(c: Call) -> Reply:
    d = c.json()
    commit_id = c.model.create_tag(c.repo(), d["id"], d["ref"])
    return 201, {"id": d["id"], "commit_id": commit_id}, JSON


def _get_tag(c: Call) -> Reply:
    repo, tag = c.repo(), c.params["tag"]
    if tag not in repo.tags:
        raise ApiError(404, f"tag not found: {tag}")
    return 200, {"id": tag, "commit_id": repo.tags[tag]}, JSON


def _get_object(c: Call) -> Reply:
    entry = c.model.lookup(c.repo(), c.params["ref"], c.query["path"])
    return 200, entry.data, "application/octet-stream"


def _stat_object(c: Call) -> Reply:
    path = c.query["path"]
    return 200, c.model.lookup(c.repo(), c.params["ref"], path).stats(path), JSON


def _list_objects(c: Call) -> Reply:
    view = c.model.view(c.repo(), c.params["ref"])
    prefix = c.query.get("prefix", "")
    items = [(p, e.stats(p)) for p, e in sorted(view.items()) if p.startswith(prefix)]
    return 200, _paginate(items, c.query), JSON


_R = "/repositories/{repository}"
_OPERATIONS: dict[tuple[str, str], _Operation] = {
    ("GET", _R): _Operation("getRepository", _get_repository),
    ("POST", "/repositories"): _Operation("createRepository", _create_repository),
    ("GET", _R + "/branches"): _Operation("listBranches", _list_branches),
    ("POST", _R + "/branches"): _Operation("createBranch", _create_branch),
    ("GET", _R + "/branches/{branch}"): _Operation("getBranch", _get_branch),
    ("PUT", _R + "/branches/{branch}"): _Operation("resetBranch", _reset_branch),
    ("POST", _R + "/branches/{branch}/objects"): _Operation("uploadObject", _upload_object),
    ("POST", _R + "/branches/{branch}/commits"): _Operation("commit", _commit),
    ("GET", _R + "/branches/{branch}/diff"): _Operation("diffBranch", _diff_branch),
    ("GET", _R + "/commits/{commitId}"): _Operation("getCommit", _get_commit),
    ("GET", _R + "/refs/{ref}/commits"): _Operation("logCommits", _log_commits),
    ("GET", _R + "/refs/{leftRef}/diff/{rightRef}"): _Operation("diffRefs", _diff_refs),
    ("GET", _R + "/refs/{sourceRef}/merge/{destinationBranch}"):
        _Operation("findMergeBase", _find_merge_base),
    ("POST", _R + "/refs/{sourceRef}/merge/{destinationBranch}"):
        _Operation("mergeIntoBranch", _merge),
    ("POST", _R + "/tags"): _Operation("createTag", _create_tag),
    ("GET", _R + "/tags/{tag}"): _Operation("getTag", _get_tag),
    ("GET", _R + "/refs/{ref}/objects"): _Operation("getObject", _get_object),
    ("GET", _R + "/refs/{ref}/objects/stat"): _Operation("statObject", _stat_object),
    ("GET", _R + "/refs/{ref}/objects/ls"): _Operation("listObjects", _list_objects),
}
