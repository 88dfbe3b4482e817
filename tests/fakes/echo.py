"""A hostile server on loopback: every request is refused with one status, and the answer
quotes what was sent (the Authorization header, its bare value, the body, the path), as
careless servers and proxies do. Used to prove that nothing the scheduler writes keeps it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class EchoServer:
    def __init__(self, status: int = 401) -> None:
        self.status = status
        self.seen: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> EchoServer:
        echo = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _answer(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size).decode("utf-8", "replace") if size else ""
                auth = self.headers.get("Authorization", "")
                with echo._lock:
                    echo.seen.append({"path": self.path, "authorization": auth, "body": body})
                said = (
                    f"refused {self.path}: Authorization: {auth} (value {auth.split(' ')[-1]})"
                    f" body {body}"
                )
                document = {
                    "error": said,
                    "message": said,
                    "error_description": said,
                    "detail": said,
                    "title": said,
                    "errors": [{"message": said, "code": 32}],
                }
                data = json.dumps(document).encode()
                self.send_response(echo.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


class Capture:
    """A webhook receiver on loopback that keeps every body it is sent."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Capture:
        capture = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                capture.bodies.append(self.rfile.read(size).decode("utf-8", "replace"))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
