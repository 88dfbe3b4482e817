"""The fake server base itself: routes, faults, keep-alive."""

from __future__ import annotations

import pytest
import requests

from tests.fakes.base import FakeServer, Fault, Request, Response, route


class Echo(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.stored: list[str] = []

    @route("POST", "/items/{name}")
    def create(self, request: Request) -> Response:
        self.stored.append(request.params["name"])
        return Response(201, {"name": request.params["name"], "body": request.json()})


def test_route_and_faults() -> None:
    with Echo() as fake:
        url = f"{fake.base_url}/items/a"
        assert requests.post(url, json={"x": 1}, timeout=5).json() == {
            "name": "a",
            "body": {"x": 1},
        }
        fake.inject("POST", "/items/{name}", Fault.status(503))
        assert requests.post(url, json={}, timeout=5).status_code == 503
        fake.inject("POST", "/items/{name}", Fault.drop_after())
        with pytest.raises(requests.ConnectionError):
            requests.post(url, json={}, timeout=5)
        fake.inject("POST", "/items/{name}", Fault.delay(0.5))
        with pytest.raises(requests.Timeout):
            requests.post(url, json={}, timeout=0.1)
        fake.inject("POST", "/items/{name}", Fault.drop_before())
        with pytest.raises(requests.ConnectionError):
            requests.post(url, json={}, timeout=5)
        # stored: the first, the dropped-after and the delayed one; not the 503 or dropped-before
        assert fake.stored == ["a", "a", "a"]
        assert requests.get(f"{fake.base_url}/nothing", timeout=5).status_code == 404


def test_multipart_form() -> None:
    with Echo() as fake:
        seen: dict[str, list[object]] = {}

        class Up(Echo):
            @route("POST", "/up")
            def up(self, request: Request) -> Response:
                seen.update(request.form())
                return Response(200, {})

        with Up() as up:
            requests.post(
                f"{up.base_url}/up",
                data={"description": "alt"},
                files={"file": ("a.png", b"\x89PNG", "image/png")},
                timeout=5,
            )
        assert seen == {"description": ["alt"], "file": [b"\x89PNG"]}
        assert fake.requests == []


class Limited(Echo):
    """Answers a 429 with a reset in a ``Reset`` header (epoch seconds)."""

    def announced_reset(self, response: Response) -> float | None:
        reset = response.header("reset")
        return float(reset) if reset is not None and response.status == 429 else None


def test_requests_during_an_announced_reset_are_counted_after_the_grace() -> None:
    with Limited() as fake:
        url = f"{fake.base_url}/items/a"
        # The reset is counted from when the request is answered, not from when it was queued.
        fake.inject(
            "POST",
            "/items/{name}",
            Fault.later(lambda: Fault.status(429, headers={"Reset": str(fake.instant() + 60)})),
        )
        assert requests.post(url, json={}, timeout=5).status_code == 429
        assert fake.during_resets() == []
        assert requests.post(url, json={}, timeout=5).status_code == 201
        early = fake.during_resets()
        assert [(a.method, a.path) for a in early] == [("POST", "/items/a")]
        assert fake.during_resets(grace=60) == []  # "in flight" that long: none counted
        (note,) = fake.announced
        assert note.status == 429 and note.reset - note.at == pytest.approx(60, abs=1)
