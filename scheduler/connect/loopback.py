"""The loopback redirect receiver: where the platform sends the browser back with a code.

An HTTP server on 127.0.0.1 at a port the system picks, for one callback: it checks the
``state`` it was given (a callback without it is someone else's), answers the browser with a
short page, and closes. No callback within the timeout is a clear error, never a hang.
Connections are served on threads, so a browser's idle speculative connection cannot hold up
the one that carries the answer.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from scheduler.errors import UsageError

CALLBACK_PATH = "/callback"


@dataclass(frozen=True)
class Callback:
    code: str | None
    error: str | None
    state_ok: bool


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 30  # seconds an idle connection is kept

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self._answer(404, "Not found.")
            return
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        state_ok = hmac.compare_digest(query.get("state", ""), self.server.state)
        callback = Callback(query.get("code"), query.get("error"), state_ok)
        if not self.server.accept(callback):
            self._answer(410, "This sign-in has already been answered.")
        elif not state_ok:
            self._answer(400, "This answer does not belong to the sign-in that was started.")
        elif callback.code:
            self._answer(200, "Connected. You can close this tab and go back to the terminal.")
        else:
            self._answer(400, "The sign-in was not completed. Go back to the terminal.")

    def _answer(self, status: int, words: str) -> None:
        body = f"<!doctype html><title>Campaign scheduler</title><p>{words}</p>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # The request line holds the code: never logged.
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: str, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state
        self.received: Callback | None = None
        self.done = threading.Event()
        self._lock = threading.Lock()

    def accept(self, callback: Callback) -> bool:
        """Take the first callback only."""
        with self._lock:
            if self.received is not None:
                return False
            self.received = callback
        self.done.set()
        return True


class LoopbackReceiver:
    """Listens on 127.0.0.1 from construction; ``wait`` takes exactly one callback."""

    def __init__(self, state: str, port: int = 0) -> None:
        # Port 0: the system picks a free one. A fixed port is for platforms that match the
        # redirect address exactly against the one registered for the app.
        try:
            self._server = _Server(state, port)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on 127.0.0.1 port {port} for the browser's answer "
                f"({exc.strerror or exc})",
                hint="choose another --port, or leave it out to take a free one",
            ) from exc

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}{CALLBACK_PATH}"

    def wait(self, timeout: float) -> str:
        """The authorisation code, or UsageError (timeout, refusal, wrong state)."""
        serving = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        serving.start()
        try:
            answered = self._server.done.wait(timeout)
        finally:
            self._server.shutdown()
            serving.join()
            self.close()
        if not answered:
            raise UsageError(
                f"no answer from the browser within {timeout:.0f} s; nothing was stored",
                hint="run the command again and finish signing in in the browser "
                "(or pass a longer --timeout)",
            )
        got = self._server.received
        assert got is not None
        if not got.state_ok:
            raise UsageError(
                "the browser came back with an answer for another sign-in (state mismatch); "
                "nothing was stored",
                hint="run the command again",
            )
        if not got.code:
            why = f" ({got.error[:80]})" if got.error else ""
            raise UsageError(
                f"the platform did not authorise the app{why}; nothing was stored",
                hint="run the command again and choose to authorise",
            )
        return got.code

    def close(self) -> None:
        self._server.server_close()

    def __enter__(self) -> LoopbackReceiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
