"""Categories and tags on a WordPress site, by name: found, or made, and always by the id
the site gives back.

Posts take term ids only, and an id the site does not know is not an error: the post is
saved with no tags at all (observed on WordPress 6.1). So every id sent is one read from
the site in this publish: a search by name (matched without regard to case, as the site
matches names), else a create. A create of a name that exists after all (another writer, or
a spelling the search did not return) answers 400 ``term_exists`` with the existing id in
``data.term_id``, which is taken as the answer.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

import requests

from scheduler.platforms.base import PublishError, Transient
from scheduler.platforms.http import HttpClient

Failure = Callable[[requests.Response, str], PublishError]
Route = Callable[[str], str]
PER_PAGE = 100


def _same(a: str, b: str) -> bool:
    return " ".join(html.unescape(a).split()).casefold() == " ".join(b.split()).casefold()


def _term_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


class Terms:
    """Term ids of one site, remembered for the publisher's life (a term's id never
    changes while it exists)."""

    def __init__(self, http: HttpClient, route: Route, failure: Failure) -> None:
        self.http = http
        self.route = route
        self.failure = failure
        self.known: dict[tuple[str, str], int] = {}

    def ids(self, taxonomy: str, names: Sequence[str]) -> list[int]:
        """The ids of ``names`` in ``taxonomy`` ("categories" or "tags"), in order."""
        out: list[int] = []
        for name in names:
            key = (taxonomy, name.casefold())
            found = (
                self.known.get(key) or self._search(taxonomy, name) or self._create(taxonomy, name)
            )
            self.known[key] = found
            out.append(found)
        return out

    def _search(self, taxonomy: str, name: str) -> int | None:
        what = f"looking up the {taxonomy[:-1].replace('ie', 'y')} {name!r}"
        response = self.http.request(
            "GET",
            self.route(f"/{taxonomy}"),
            params={"search": name, "per_page": PER_PAGE, "hide_empty": "false"},
            what=what,
        )
        if response.status_code != 200:
            raise self.failure(response, what)
        for term in self._list(response, what):
            term_id = _term_id(term.get("id"))
            if term_id and isinstance(term.get("name"), str) and _same(term["name"], name):
                return term_id
        return None

    def _create(self, taxonomy: str, name: str) -> int:
        what = f"making the {taxonomy[:-1].replace('ie', 'y')} {name!r}"
        response = self.http.request(
            "POST", self.route(f"/{taxonomy}"), json={"name": name}, what=what
        )
        body = self._object(response)
        if response.status_code == 201:
            made = _term_id(body.get("id"))
            if made:
                return made
        data = body.get("data")
        if response.status_code == 400 and body.get("code") == "term_exists":
            existing = _term_id(data.get("term_id")) if isinstance(data, dict) else None
            if existing:
                return existing
        if response.status_code in (200, 201):
            raise Transient(
                f"wordpress: {what} answered without the term's id",
                platform="wordpress",
                status=response.status_code,
            )
        raise self.failure(response, what)

    @staticmethod
    def _object(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _list(self, response: requests.Response, what: str) -> list[dict[str, Any]]:
        try:
            body = response.json()
        except ValueError as exc:
            raise Transient(
                f"wordpress: {what} answered without JSON", platform="wordpress", status=200
            ) from exc
        if not isinstance(body, list):
            raise Transient(
                f"wordpress: {what} answered with unexpected JSON", platform="wordpress"
            )
        return [t for t in body if isinstance(t, dict)]
