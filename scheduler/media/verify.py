"""The pre-flight of every public URL: fetched once, and its answer compared with the file.

A platform that fetches a wrong or missing image fails the post after the container is made
(or, worse, publishes the wrong picture), so a URL is handed to a publisher only after this
check has seen it answer 200 with exactly the approved bytes and type. The fetch goes only to
the configured host, follows no redirects, and reads no more than the file's size and one byte.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests

from scheduler.destination import UnsafeEndpoint, origin
from scheduler.errors import ConfigError
from scheduler.media.names import shown
from scheduler.platforms.base import MediaUpload, Transient

_CHUNK = 1 << 16


class Preflight:
    """Fetches public URLs on one origin with a requests session and timeouts."""

    def __init__(
        self, base: str, *, timeout: float, session: requests.Session | None = None
    ) -> None:
        try:
            self.origin = origin(base)
        except UnsafeEndpoint as exc:
            raise ConfigError(f"the public media host {exc}") from None
        self.timeout = timeout
        self._given = session
        self._local = threading.local()  # the daemon's workers share a host, not a session

    def _session(self) -> requests.Session:
        if self._given is not None:
            return self._given
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxy from the environment: only to the host
            self._local.session = session
        return session

    def check(self, url: str, upload: MediaUpload, *, account: str) -> None:
        """Raise Transient unless ``url`` answers 200 with ``upload``'s bytes and type."""
        where = shown(url)
        if _origin(url) != self.origin:
            raise ConfigError(
                f"public media for {account}: {where} is not on the configured host "
                f"{self.origin}; not fetched"
            )
        with self._fetch(url, account) as answer:
            self._compare(answer, upload, where, account)

    def answers(self, url: str, *, account: str) -> int:
        """The status ``url`` answers with; Transient when nothing answers."""
        with self._fetch(url, account) as answer:
            return answer.status_code

    @contextmanager
    def _fetch(self, url: str, account: str) -> Iterator[requests.Response]:
        """GET ``url``, streamed; a connection that fails (also while reading) is Transient."""
        try:
            with self._session().get(
                url, timeout=(self.timeout, self.timeout), stream=True, allow_redirects=False
            ) as answer:
                yield answer
        except requests.RequestException as exc:
            raise Transient(
                f"public media for {account}: {shown(url)} cannot be reached "
                f"({type(exc).__name__}); nothing was sent to the platform",
                hint="check that the media host is up and reachable from here",
            ) from exc

    def _compare(
        self, answer: requests.Response, upload: MediaUpload, where: str, account: str
    ) -> None:
        def wrong(what: str) -> Transient:
            return Transient(
                f"public media for {account}: {where} {what}; nothing was sent to the platform",
                status=answer.status_code,
                hint="the platform would fetch the same answer: check the media host",
            )

        if answer.status_code != 200:
            raise wrong(f"answered {answer.status_code} instead of 200")
        kind = answer.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind != upload.mime.lower():
            raise wrong(f"answered with type {kind or 'none'} instead of {upload.mime}")
        digest = hashlib.sha256()
        size = 0
        for chunk in answer.iter_content(_CHUNK):
            size += len(chunk)
            if size > upload.size:
                raise wrong(f"answered with more than the file's {upload.size} bytes")
            digest.update(chunk)
        if size != upload.size or digest.hexdigest() != upload.sha256.lower():
            raise wrong(f"answered with other bytes than the file ({size} bytes)")


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
        return origin(f"{parts.scheme}://{parts.netloc}")
    except ValueError:
        return ""
