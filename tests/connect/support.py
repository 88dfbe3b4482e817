"""A stand-in for the person's browser: it fetches the address the command printed and
follows the platform's redirect to the loopback receiver, over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests


class Browser:
    def __init__(self, tamper: Callable[[str], str] | None = None) -> None:
        self.opened: list[str] = []
        self.answers: list[requests.Response] = []
        self._tamper = tamper
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> None:
        self.opened.append(url)
        thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _visit(self, url: str) -> None:
        with requests.Session() as session:
            session.trust_env = False
            if self._tamper is None:
                self.answers.append(session.get(url, timeout=10))
                return
            signed_in = session.get(url, timeout=10, allow_redirects=False)
            back = self._tamper(signed_in.headers["Location"])
            self.answers.append(session.get(back, timeout=10))

    def join(self) -> None:
        for thread in self._threads:
            thread.join(10)


def with_state(value: str) -> Callable[[str], str]:
    def tamper(location: str) -> str:
        parts = urlsplit(location)
        query = dict(parse_qsl(parts.query))
        query["state"] = value
        return urlunsplit(parts._replace(query=urlencode(query)))

    return tamper


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
