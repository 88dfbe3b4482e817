"""A fake Pigeon Post loft: notes posted with an idempotency key, found again by it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from tests.fakes.base import FakeServer, Fault, Request, Response, route

NOTES = "/v1/notes"
BY_KEY = "/v1/notes/by-key/{key}"
ME = "/v1/me"


@dataclass
class Note:
    id: str
    text: str
    reply_to: str | None
    images: list[dict[str, Any]]
    key: str | None

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "url": f"https://loft.example/n/{self.id}", "text": self.text}


class FakeLoft(FakeServer):
    def __init__(self, token: str = "pigeon-token-0123456789") -> None:
        super().__init__()
        self.token = token
        self.notes: list[Note] = []
        self._ids = itertools.count(1)

    def _authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def refusal(self, status: int, error: str) -> Fault:
        return Fault.status(
            status, {"error": error}, {"Retry-After": "300"} if status == 429 else None
        )

    @route("GET", ME)
    def me(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(401, {"error": "unknown bird keeper"})
        return Response(200, {"id": "keeper-1", "handle": "loft"})

    @route("POST", NOTES)
    def create(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(401, {"error": "unknown bird keeper"})
        body = request.json()
        key = request.headers.get("idempotency-key")
        with self.lock:
            for note in self.notes:
                if key and note.key == key:
                    return Response(200, note.json())
            if len(body.get("text", "")) > 200:
                return Response(422, {"error": "too heavy for a pigeon"})
            note = Note(
                str(next(self._ids)),
                body["text"],
                body.get("reply_to"),
                body.get("images", []),
                key,
            )
            self.notes.append(note)
        return Response(201, note.json())

    @route("GET", BY_KEY)
    def by_key(self, request: Request) -> Response:
        if not self._authorised(request):
            return Response(401, {"error": "unknown bird keeper"})
        with self.lock:
            for note in self.notes:
                if note.key == request.params["key"]:
                    return Response(200, note.json())
        return Response(404, {"error": "no such note"})
