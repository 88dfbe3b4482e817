"""A fake platform server: real HTTP/1.1 on 127.0.0.1, routes, fault injection, a request log.

Platform fakes subclass FakeServer, register routes with ``@route(METHOD, PATTERN)`` and keep
what was posted so that tests can assert exactly-once. Faults are queued per route and
consumed in order:

    fake.inject("POST", "/api/v1/statuses", Fault.status(503))
    fake.inject("POST", "/api/v1/statuses", Fault.drop_after())   # stored, then no answer
    fake.inject("POST", "/api/v1/statuses", Fault.delay(2.0))     # past the client timeout

Every request's arrival is kept with the account it was for, and every answer that announced
a reset (a 429, or headers saying nothing remains) with the instant it announced, so a test can
count the requests that reached an account while its reset was pending
(``FakeServer.during_resets``). Times are the fake's clock's, in epoch seconds.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def form(self) -> dict[str, list[Any]]:
        """Form fields: urlencoded values are str, multipart file parts are bytes."""
        ctype = self.headers.get("content-type", "")
        if ctype.startswith("application/x-www-form-urlencoded"):
            return {k: list(v) for k, v in parse_qs(self.body.decode()).items()}
        if ctype.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + self.body
            )
            fields: dict[str, list[Any]] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                value: Any = payload if part.get_filename() else payload.decode()
                fields.setdefault(str(name), []).append(value)
            return fields
        if ctype.startswith("application/json"):
            data = self.json()
            return {k: v if isinstance(v, list) else [v] for k, v in (data or {}).items()}
        return {}


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes -> raw; None -> empty
    headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        """A header's value, whatever the case of its name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def encode(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", "application/json"
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "application/octet-stream")
        return json.dumps(self.body).encode(), "application/json; charset=utf-8"


@dataclass(frozen=True)
class Arrival:
    """One request as it reached the server."""

    account: str
    at: float  # epoch seconds, by the fake's clock
    method: str
    path: str


@dataclass(frozen=True)
class Announced:
    """An answer that told the client not to call ``account`` again before ``reset``."""

    account: str
    at: float  # epoch seconds when the answer was sent
    reset: float  # epoch seconds
    status: int


@dataclass
class Fault:
    # "status" | "status_after" | "delay" | "drop_before" | "drop_after" | "pass" | "while"
    # | "later"
    kind: str
    response: Response | None = None
    seconds: float = 0.0
    meanwhile: Callable[[], None] | None = None
    build: Callable[[], Fault] | None = None

    @classmethod
    def status(cls, code: int, body: Any = None, headers: dict[str, str] | None = None) -> Fault:
        body = {"error": f"injected {code}"} if body is None else body
        return cls("status", Response(code, body, dict(headers or {})))

    @classmethod
    def status_after(cls, code: int, body: Any = None) -> Fault:
        """Handle the request (the post is stored), then answer ``code`` instead: a server
        that fails after storing, as when a plugin's hook breaks after the insert."""
        body = {"error": f"injected {code}"} if body is None else body
        return cls("status_after", Response(code, body))

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Handle normally (the post is stored) but answer only after ``seconds``."""
        return cls("delay", seconds=seconds)

    @classmethod
    def passthrough(cls) -> Fault:
        """Handle this request normally: queued before a fault, it lets calls through first."""
        return cls("pass")

    @classmethod
    def meanwhile_do(cls, action: Callable[[], None]) -> Fault:
        """Run ``action`` while the platform handles this request (say, let the injected
        clock run on and another daemon act), then handle it normally."""
        return cls("while", meanwhile=action)

    @classmethod
    def later(cls, build: Callable[[], Fault]) -> Fault:
        """The fault ``build`` makes when the request comes: a 429 whose reset is counted
        from when it is answered, not from when it was queued."""
        return cls("later", build=build)

    @classmethod
    def drop_before(cls) -> Fault:
        """Close the connection without handling the request: nothing is stored."""
        return cls("drop_before")

    @classmethod
    def drop_after(cls) -> Fault:
        """Handle the request (the post is stored), then close without answering."""
        return cls("drop_after")


Handler = Callable[["FakeServer", Request], Response]


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler; ``{name}`` in the pattern matches one path segment."""

    def mark(fn: Handler) -> Handler:
        fn._route = (method.upper(), pattern)  # type: ignore[attr-defined]
        return fn

    return mark


class FakeServer:
    """Base class of the platform fakes. Use as a context manager or call start()/stop()."""

    routes: ClassVar[list[tuple[str, re.Pattern[str], str]]]

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        table: list[tuple[str, re.Pattern[str], str]] = []
        for klass in reversed(cls.__mro__):
            for attr, fn in vars(klass).items():
                spec = getattr(fn, "_route", None)
                if spec:
                    method, pattern = spec
                    regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$"
                    table.append((method, re.compile(regex), attr))
        cls.routes = table

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self._faults: dict[tuple[str, str], list[Fault]] = {}
        # When no fault is queued: a fault drawn for each request (a run with random faults).
        self.chaos: Callable[[str, str], Fault | None] | None = None
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.arrivals: list[Arrival] = []
        self.announced: list[Announced] = []

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeServer:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without this every keep-alive answer waits ~40 ms for a delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- faults ------------------------------------------------------------------------

    def inject(self, method: str, path: str, *faults: Fault, times: int = 1) -> None:
        """Queue faults for the route whose pattern is ``path`` (as given to @route)."""
        with self.lock:
            queue = self._faults.setdefault((method.upper(), path), [])
            for _ in range(times):
                queue.extend(faults)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def _next_fault(self, method: str, pattern: str) -> Fault | None:
        with self.lock:
            queue = self._faults.get((method, pattern))
            if queue:
                fault = queue.pop(0)
                return fault.build() if fault.build is not None else fault
            return self.chaos(method, pattern) if self.chaos is not None else None

    # --- dispatch ----------------------------------------------------------------------

    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        parts = urlsplit(h.path)
        request = Request(
            method=h.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in h.headers.items()},
            body=body,
        )
        arrived = self.instant()
        with self.lock:
            self.requests.append(request)
            self.arrivals.append(
                Arrival(self.account_of(request), arrived, request.method, request.path)
            )
        for method, regex, attr in self.routes:
            match = regex.match(request.path)
            if method == h.command and match:
                request.params = match.groupdict()
                pattern = getattr(type(self), attr)._route[1]
                fault = self._next_fault(method, pattern)
                if fault is not None and fault.kind == "drop_before":
                    self._drop(h)
                    return
                if fault is not None and fault.kind == "status":
                    assert fault.response is not None
                    self._answer(h, request, fault.response)
                    return
                if fault is not None and fault.meanwhile is not None:
                    fault.meanwhile()
                response = getattr(self, attr)(request)
                if fault is not None and fault.kind == "drop_after":
                    self._drop(h)
                    return
                if fault is not None and fault.kind == "delay":
                    time.sleep(fault.seconds)
                if fault is not None and fault.kind == "status_after":
                    assert fault.response is not None
                    response = fault.response
                self._answer(h, request, response)
                return
        self._answer(h, request, self.not_found(request))

    def _answer(self, h: BaseHTTPRequestHandler, request: Request, response: Response) -> None:
        reset = self.announced_reset(response)
        if reset is not None:
            with self.lock:
                self.announced.append(
                    Announced(self.account_of(request), self.instant(), reset, response.status)
                )
        self._send(h, response)

    # --- pending resets ------------------------------------------------------------------

    def instant(self) -> float:
        """Now, in epoch seconds, by the fake's clock when it has one (the time its rate-limit
        headers are written in)."""
        clock = getattr(self, "clock", None)
        return clock.now().timestamp() if clock is not None else time.time()

    def account_of(self, request: Request) -> str:
        """The account a request is for. A fake serves one account unless it says otherwise."""
        return "account"

    def announced_reset(self, response: Response) -> float | None:
        """The reset (epoch seconds) an answer announces, if it tells the client to stop: a
        429, or headers saying nothing remains. Fakes with rate-limit headers override this."""
        return None

    def during_resets(self, grace: float = 0.0) -> list[Arrival]:
        """Requests that reached an account after an answer announced a reset for it and before
        that reset. ``grace`` seconds after each announcement are left out: a request sent
        before the client could read the answer was in flight, not a request during a reset."""
        with self.lock:
            arrivals, announced = list(self.arrivals), list(self.announced)
        found = []
        for arrival in arrivals:
            for note in announced:
                if note.account == arrival.account and note.at + grace < arrival.at < note.reset:
                    found.append(arrival)
                    break
        return found

    def not_found(self, request: Request) -> Response:
        return Response(404, {"error": f"no route for {request.method} {request.path}"})

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, response: Response) -> None:
        payload, ctype = response.encode()
        try:
            h.send_response(response.status)
            headers = {"Content-Type": ctype, **response.headers}
            for name, value in headers.items():
                h.send_header(name, value)
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); what was stored stays stored

    @staticmethod
    def _drop(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)

    # --- helpers for tests -------------------------------------------------------------

    def calls(self, method: str, path_prefix: str) -> list[Request]:
        with self.lock:
            return [
                r for r in self.requests if r.method == method and r.path.startswith(path_prefix)
            ]

    def iter_requests(self) -> Iterator[Request]:
        with self.lock:
            yield from list(self.requests)
