"""Many Mastodon accounts behind one asyncio front, with platform latency and rate limits.

The peak benchmark keeps thousands of connections open at once (every worker of every daemon
keeps a session per account), which the thread-per-connection server of tests/fakes cannot
hold on a small machine. This front only replaces the transport: each account is a
FakeMastodon (its routes, validation, idempotency and rate-limit window), found by the bearer
token, and every answer waits ``latency`` seconds on the event loop, as a busy platform would.

A post over the account's limit (the fake's ``remaining`` for its window) is refused with the
fake's 429 and counted: the benchmark's goal is that no account is pushed over its limit.
"""

from __future__ import annotations

import asyncio
import threading
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from scheduler.clock import Clock
from tests.fakes.base import Request, Response
from tests.fakes.mastodon import STATUSES, FakeMastodon


class AccountFake(FakeMastodon):
    """One account's server state; the front gives it its address."""

    def __init__(self, clock: Clock, token: str, base_url: str) -> None:
        super().__init__(clock, token=token)
        self._base_url = base_url
        self.account["url"] = f"{base_url}/@mhaw"
        self.refused = 0  # posts answered 429 because the account's window was spent

    @property
    def base_url(self) -> str:
        return self._base_url


class PeakFront:
    """An HTTP/1.1 keep-alive server on 127.0.0.1 for ``accounts`` fake Mastodon accounts."""

    def __init__(self, clock: Clock, tokens: dict[str, str], *, latency: float) -> None:
        self.clock = clock
        self.latency = latency
        self._tokens = tokens  # account name -> token
        self.accounts: dict[str, AccountFake] = {}
        self._by_token: dict[str, AccountFake] = {}
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> PeakFront:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        future.result(timeout=10)
        for name, token in self._tokens.items():
            fake = AccountFake(self.clock, token, self.base_url)
            self.accounts[name] = fake
            self._by_token[f"Bearer {token}"] = fake
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=4096)
        self.port = int(self._server.sockets[0].getsockname()[1])

    # --- what the benchmark reads -------------------------------------------------------

    def posted(self) -> list[tuple[str, Any]]:
        """(account, Posted) of every stored post."""
        return [(name, s) for name, fake in self.accounts.items() for s in list(fake.statuses)]

    def count(self) -> int:
        return sum(len(fake.statuses) for fake in self.accounts.values())

    def refused(self) -> int:
        return sum(fake.refused for fake in self.accounts.values())

    # --- serving ------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                await asyncio.sleep(self.latency)
                response = self._handle(method, target, headers, body)
                writer.write(_encode(response))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def _handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(target)
        fake = self._by_token.get(headers.get("authorization", ""))
        if fake is None:
            # Unauthenticated reads (the instance's limits) are the same for every account.
            fake = next(iter(self.accounts.values()))
        request = Request(method, parts.path, parse_qs(parts.query), headers, body)
        if method == "POST" and parts.path == STATUSES and fake.authorised(request):
            with fake.lock:
                spent = fake.remaining <= 0
                if spent:
                    fake.refused += 1
            if spent:
                fault = fake.rate_limit_fault()
                assert fault.response is not None
                return fault.response
        for route_method, regex, attr in type(fake).routes:
            match = regex.match(parts.path)
            if route_method == method and match:
                request.params = match.groupdict()
                response: Response = getattr(fake, attr)(request)
                return response
        return fake.not_found(request)


def _encode(response: Response) -> bytes:
    payload, ctype = response.encode()
    reason = HTTPStatus(response.status).phrase
    head = [f"HTTP/1.1 {response.status} {reason}", f"Content-Type: {ctype}"]
    head += [f"{name}: {value}" for name, value in response.headers.items()]
    head.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload
